package dev.omnibus.broker.event;

import dev.omnibus.broker.BrokerException;

/** A value could not be encoded, or a body could not be decoded into the requested type. */
public class CodecException extends BrokerException {
    public CodecException(String message, Throwable cause) {
        super(message, cause);
    }
}
