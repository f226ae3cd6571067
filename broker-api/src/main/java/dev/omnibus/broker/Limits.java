package dev.omnibus.broker;

import java.util.Map;

/**
 * The limits every broker enforces on what it is asked to send, before any I/O, so that a
 * message that one backend would take and another would refuse (or truncate) is refused
 * everywhere, at the call, with an {@link IllegalArgumentException} naming the limit and the
 * actual size. {@link Broker#publish}, {@link Broker#publishAsync} and {@link Broker#request}
 * check them (in {@code AbstractBroker}).
 *
 * <p>Sizes are UTF-8 bytes. The headers counted are those of the {@link Message}, including
 * its {@link Headers#ID id}; headers a backend adds on the way (reply-to and correlation id of a
 * request, dead-letter headers) are not counted. Other limits live elsewhere: topic length in
 * {@link Topics} ({@value Topics#MAX_BYTES} bytes), the body size per backend (e.g.
 * {@code maxMessageBytes} of the memory broker, the server's {@code max_payload} on NATS, a
 * {@link MessageTooLargeException} in both cases).
 */
public final class Limits {
    /** Most headers a message may carry, its id included. */
    public static final int MAX_HEADERS = 64;
    /** Longest header name, in UTF-8 bytes (an AMQP short string holds 255). */
    public static final int MAX_HEADER_NAME_BYTES = 255;
    /** Longest header value, in UTF-8 bytes. */
    public static final int MAX_HEADER_VALUE_BYTES = 16 * 1024;
    /** Most bytes of all header names and values together, in UTF-8. */
    public static final int MAX_HEADER_BYTES = 64 * 1024;

    private Limits() {
    }

    /**
     * Checks the headers of {@code message}, sent to {@code topic}, against the limits above.
     *
     * @throws IllegalArgumentException naming the limit, the actual size, the header and the topic
     */
    public static void checkHeaders(String topic, Message message) {
        int count = message.headerCount();
        if (count <= MAX_HEADERS && message.headerBytes() <= MAX_HEADER_BYTES
                && message.largestHeaderName() <= MAX_HEADER_NAME_BYTES && message.largestHeaderValue() <= MAX_HEADER_VALUE_BYTES) {
            return; // sizes computed once when the message was built
        }
        if (count > MAX_HEADERS) {
            throw new IllegalArgumentException("message " + message.id() + " to '" + topic + "' has " + count
                    + " headers, more than the limit of " + MAX_HEADERS + " (Limits.MAX_HEADERS); move data into the body");
        }
        long total = 0;
        for (Map.Entry<String, String> h : message.headers().entrySet()) {
            String name = h.getKey();
            int nameBytes = utf8Length(name);
            if (nameBytes > MAX_HEADER_NAME_BYTES) {
                throw new IllegalArgumentException("header name '" + abbreviate(name) + "' of message " + message.id()
                        + " to '" + topic + "' is " + nameBytes + " bytes, more than the limit of " + MAX_HEADER_NAME_BYTES
                        + " (Limits.MAX_HEADER_NAME_BYTES)");
            }
            int valueBytes = utf8Length(h.getValue());
            if (valueBytes > MAX_HEADER_VALUE_BYTES) {
                throw new IllegalArgumentException("value of header '" + abbreviate(name) + "' of message " + message.id()
                        + " to '" + topic + "' is " + valueBytes + " bytes, more than the limit of " + MAX_HEADER_VALUE_BYTES
                        + " (Limits.MAX_HEADER_VALUE_BYTES); move large data into the body");
            }
            total += nameBytes + valueBytes;
        }
        if (total > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("headers of message " + message.id() + " to '" + topic + "' are " + total
                    + " bytes in total, more than the limit of " + MAX_HEADER_BYTES
                    + " (Limits.MAX_HEADER_BYTES); move large data into the body");
        }
    }

    /** The length of {@code s} in UTF-8, without encoding it. */
    static int utf8Length(String s) {
        int n = s.length();
        int bytes = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                if (c < 0x800) {
                    bytes += 1;
                } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    bytes += 2; // 4 bytes for the pair of 2 chars
                    i++;
                } else {
                    bytes += 2;
                }
            }
        }
        return bytes;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
