package dev.omnibus.broker;

/**
 * Names of the standard message headers. Every backend carries headers as the broker's
 * native headers, so these names are what a non-Omnibus service sees on the wire.
 */
public final class Headers {
    /** Unique message id; generated when a message is built without one. */
    public static final String ID = "id";
    /** MIME type of the body, e.g. {@code application/json}. */
    public static final String CONTENT_TYPE = "content-type";
    /** Publish time in epoch milliseconds, when the publisher sets it. */
    public static final String TIMESTAMP = "timestamp";
    /** Ties a reply to its request. */
    public static final String CORRELATION_ID = "correlation-id";
    /** W3C trace context. */
    public static final String TRACEPARENT = "traceparent";
    /** Topic a reply goes to; set by {@link Broker#request}. */
    public static final String REPLY_TO = "reply-to";

    /** On a dead letter: why the last delivery attempt failed. */
    public static final String DEAD_LETTER_REASON = "omnibus-dead-letter-reason";
    /** On a dead letter: the topic the message was published to. */
    public static final String DEAD_LETTER_TOPIC = "omnibus-dead-letter-topic";
    /** On a dead letter: how many delivery attempts were made. */
    public static final String DEAD_LETTER_ATTEMPTS = "omnibus-dead-letter-attempts";

    private Headers() {
    }
}
