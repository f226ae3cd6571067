package dev.omnibus.broker;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An immutable message: string headers and a body of bytes.
 *
 * <p>Every message has an {@linkplain #id() id}: a message built without an {@link Headers#ID}
 * header gets a random one, so the id is stable from the publisher to every subscriber.
 *
 * <p>The body array is shared, never copied, on the way through a broker: {@link #body()}
 * returns the message's own array and callers must not modify it. {@link #of(byte[])} and
 * {@link Builder#body(byte[])} copy their argument so that the caller's array stays its own.
 *
 * <p>Header names are non-empty and free of control characters and whitespace; values are
 * non-null and free of control characters. Invalid headers are rejected by the builder.
 */
public final class Message {
    private static final byte[] EMPTY = new byte[0];

    private final Map<String, String> headers;
    private final byte[] body;

    private Message(Map<String, String> headers, byte[] body) {
        this.headers = headers;
        this.body = body;
    }

    /** A message whose body is a copy of {@code body}. */
    public static Message of(byte[] body) {
        Objects.requireNonNull(body, "body must not be null; use new byte[0] for an empty body");
        return builder().body(body).build();
    }

    /** A message whose body is {@code body} in UTF-8. */
    public static Message of(String body) {
        Objects.requireNonNull(body, "body must not be null; use \"\" for an empty body");
        return builder().body(body).build();
    }

    /**
     * For backends: a message over {@code body} without copying it and with the given headers
     * (validated, id generated when absent). The caller gives up the array.
     */
    public static Message wrap(Map<String, String> headers, byte[] body) {
        Objects.requireNonNull(body, "body");
        Builder b = new Builder();
        if (headers != null) {
            b.headers(headers);
        }
        b.body = body;
        return b.build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this message's headers and body, to derive a variant. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.headers.putAll(headers);
        b.body = body;
        return b;
    }

    /** The message id, never null. */
    public String id() {
        return headers.get(Headers.ID);
    }

    /** The header's value, or null when absent. */
    public String header(String name) {
        return headers.get(name);
    }

    /** All headers, unmodifiable, in insertion order. */
    public Map<String, String> headers() {
        return headers;
    }

    /** The body. The array is the message's own: do not modify it. */
    public byte[] body() {
        return body;
    }

    /** The body decoded as UTF-8. */
    public String bodyAsString() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** Size of the body in bytes. */
    public int size() {
        return body.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Message m && headers.equals(m.headers) && Arrays.equals(body, m.body);
    }

    @Override
    public int hashCode() {
        return 31 * headers.hashCode() + Arrays.hashCode(body);
    }

    @Override
    public String toString() {
        return "Message{id=" + id() + ", headers=" + headers.size() + ", body=" + body.length + " bytes}";
    }

    /** Generates a random 128-bit message id as 32 hex characters. */
    public static String newId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return hex(r.nextLong()) + hex(r.nextLong());
    }

    private static String hex(long v) {
        String s = Long.toHexString(v);
        return s.length() == 16 ? s : "0".repeat(16 - s.length()) + s;
    }

    /** Builds a {@link Message}; not thread-safe, reusable. */
    public static final class Builder {
        private final Map<String, String> headers = new LinkedHashMap<>();
        private byte[] body = EMPTY;

        private Builder() {
        }

        /** Sets a header, replacing any earlier value. */
        public Builder header(String name, String value) {
            validateHeader(name, value);
            headers.put(name, value);
            return this;
        }

        /** Sets every header of {@code values}. */
        public Builder headers(Map<String, String> values) {
            Objects.requireNonNull(values, "headers must not be null");
            values.forEach(this::header);
            return this;
        }

        /** Removes a header. */
        public Builder removeHeader(String name) {
            headers.remove(name);
            return this;
        }

        public Builder id(String id) {
            return header(Headers.ID, id);
        }

        public Builder contentType(String contentType) {
            return header(Headers.CONTENT_TYPE, contentType);
        }

        public Builder correlationId(String correlationId) {
            return header(Headers.CORRELATION_ID, correlationId);
        }

        /** Sets the body to a copy of {@code body}. */
        public Builder body(byte[] body) {
            Objects.requireNonNull(body, "body must not be null; use new byte[0] for an empty body");
            this.body = body.length == 0 ? EMPTY : body.clone();
            return this;
        }

        /** Sets the body to {@code body} in UTF-8. */
        public Builder body(String body) {
            Objects.requireNonNull(body, "body must not be null; use \"\" for an empty body");
            this.body = body.getBytes(StandardCharsets.UTF_8);
            return this;
        }

        public Message build() {
            Map<String, String> copy = new LinkedHashMap<>(headers.size() + 2);
            copy.putAll(headers);
            String id = copy.get(Headers.ID);
            if (id == null || id.isEmpty()) {
                copy.put(Headers.ID, newId());
            }
            return new Message(Collections.unmodifiableMap(copy), body);
        }

        private static void validateHeader(String name, String value) {
            Objects.requireNonNull(name, "header name must not be null");
            Objects.requireNonNull(value, () -> "value of header '" + name + "' must not be null; remove the header instead");
            if (name.isEmpty()) {
                throw new IllegalArgumentException("header name must not be empty");
            }
            for (int i = 0; i < name.length(); i++) {
                char c = name.charAt(i);
                if (c <= ' ' || c == ':' || c == 0x7f) {
                    throw new IllegalArgumentException("header name '" + printable(name)
                            + "' contains a space, ':' or control character at index " + i
                            + "; header names are tokens such as 'content-type'");
                }
            }
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if ((c < ' ' && c != '\t') || c == 0x7f) {
                    throw new IllegalArgumentException("value of header '" + name
                            + "' contains a control character at index " + i
                            + "; encode binary values (e.g. Base64) before putting them in a header");
                }
            }
        }

        private static String printable(String s) {
            StringBuilder b = new StringBuilder();
            for (char c : s.toCharArray()) {
                b.append(c < ' ' || c == 0x7f ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
            return b.toString();
        }
    }
}
