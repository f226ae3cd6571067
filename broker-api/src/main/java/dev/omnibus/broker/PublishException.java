package dev.omnibus.broker;

/** The broker did not take a message; the message was not published and may be retried. */
public class PublishException extends BrokerException {
    public PublishException(String message) {
        super(message);
    }

    public PublishException(String message, Throwable cause) {
        super(message, cause);
    }
}
