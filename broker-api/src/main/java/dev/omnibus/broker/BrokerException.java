package dev.omnibus.broker;

/**
 * Base of every broker failure. Messages say what failed, where, and what to do about it, and
 * never contain a password.
 */
public class BrokerException extends RuntimeException {
    public BrokerException(String message) {
        super(message);
    }

    public BrokerException(String message, Throwable cause) {
        super(message, cause);
    }
}
