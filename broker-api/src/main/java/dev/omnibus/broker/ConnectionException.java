package dev.omnibus.broker;

/** Connecting failed: nothing listens, credentials were refused, or TLS did not agree. */
public class ConnectionException extends BrokerException {
    public ConnectionException(String message, Throwable cause) {
        super(message, cause);
    }
}
