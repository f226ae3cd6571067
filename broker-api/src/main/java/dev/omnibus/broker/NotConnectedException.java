package dev.omnibus.broker;

/** The broker is not connected: {@link Broker#connect()} was not called, or it disconnected. */
public class NotConnectedException extends BrokerException {
    public NotConnectedException(String message) {
        super(message);
    }
}
