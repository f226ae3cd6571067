package dev.omnibus.broker.event;

/** How a CloudEvent travels in a message. Receivers detect the mode; senders choose it. */
public enum CloudEventMode {
    /**
     * The event's data is the body; each attribute is a header named by the broker's
     * {@link CloudEventBinding}. The default.
     */
    BINARY,
    /**
     * The whole event, attributes and data, is the body in the JSON event format, with
     * content type {@value CloudEventBinding#STRUCTURED_JSON}.
     */
    STRUCTURED
}
