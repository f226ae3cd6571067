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

    /**
     * The headers; null in a message whose only header is a generated id ({@link #of}, {@link #wrap}
     * without an id), which keeps the id's 128 random bits in {@link #idHigh} and {@link #idLow} and
     * formats them on first use into {@link #generated}. Final, so that a message handed to another
     * thread without a happens-before edge still shows its headers.
     */
    private final Map<String, String> headers;
    /**
     * The header map of a generated id, made on first use. The id is drawn when the message is made,
     * so it is the same from the publisher to every subscriber; formatting it twice (two threads
     * racing) gives equal maps from final fields, so the race is benign, as for {@link String#hashCode()}.
     */
    private Map<String, String> generated;
    private final long idHigh;
    private final long idLow;
    private final byte[] body;

    /** UTF-8 size of all header names and values, and of the largest name and value (for {@link Limits}). */
    private final int headerBytes;
    private final int largestName;
    private final int largestValue;

    /** A message whose only header is {@code id}: its sizes are known without scanning. */
    private Message(String id, byte[] body) {
        this.headers = Map.of(Headers.ID, id);
        this.idHigh = 0;
        this.idLow = 0;
        this.body = body;
        this.largestName = Headers.ID.length();
        this.largestValue = id.length();
        this.headerBytes = largestName + largestValue;
    }

    /**
     * A message whose only header is an id generated now: the random bits are drawn here, the
     * 32 hex characters (and the header map) made only when someone reads them, since a message
     * handed within the process (the memory broker, a handler reading only the body) often never needs them.
     */
    private Message(byte[] body) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        this.headers = null;
        this.idHigh = r.nextLong();
        this.idLow = r.nextLong();
        this.body = body;
        this.largestName = Headers.ID.length();
        this.largestValue = ID_LENGTH;
        this.headerBytes = largestName + largestValue;
    }

    private Message(Map<String, String> headers, byte[] body) {
        this.headers = headers;
        this.idHigh = 0;
        this.idLow = 0;
        this.body = body;
        int total = 0;
        int name = 0;
        int value = 0;
        for (Map.Entry<String, String> h : headers.entrySet()) {
            int n = Limits.utf8Length(h.getKey());
            int v = Limits.utf8Length(h.getValue());
            total += n + v;
            name = Math.max(name, n);
            value = Math.max(value, v);
        }
        this.headerBytes = total;
        this.largestName = name;
        this.largestValue = value;
    }

    /** A message whose body is a copy of {@code body}. */
    public static Message of(byte[] body) {
        Objects.requireNonNull(body, "body must not be null; use new byte[0] for an empty body");
        // the common case without a builder: one header, the generated id
        return new Message(body.length == 0 ? EMPTY : body.clone());
    }

    /** A message whose body is {@code body} in UTF-8. */
    public static Message of(String body) {
        Objects.requireNonNull(body, "body must not be null; use \"\" for an empty body");
        return new Message(body.getBytes(StandardCharsets.UTF_8));
    }

    int headerBytes() {
        return headerBytes;
    }

    /** Number of headers, without making the header map of a generated id. */
    int headerCount() {
        Map<String, String> h = headers;
        return h == null ? 1 : h.size();
    }

    int largestHeaderName() {
        return largestName;
    }

    int largestHeaderValue() {
        return largestValue;
    }

    /**
     * For backends: a message over {@code body} without copying it and with the given headers
     * (validated, id generated when absent). The caller gives up the array.
     */
    public static Message wrap(Map<String, String> headers, byte[] body) {
        Objects.requireNonNull(body, "body");
        if (headers == null || headers.isEmpty()) {
            return new Message(body);
        }
        if (headers.size() == 1) {
            // what most messages carry: only their id, which needs no map of its own
            String id = headers.get(Headers.ID);
            if (id != null && !id.isEmpty()) {
                Builder.validateHeader(Headers.ID, id);
                return new Message(id, body);
            }
        }
        // validated and copied once (the builder would copy twice)
        Map<String, String> copy = new LinkedHashMap<>((headers.size() + 2) * 4 / 3 + 1);
        headers.forEach((name, value) -> {
            Builder.validateHeader(name, value);
            copy.put(name, value);
        });
        String id = copy.get(Headers.ID);
        if (id == null || id.isEmpty()) {
            copy.put(Headers.ID, newId());
        }
        return new Message(Collections.unmodifiableMap(copy), body);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this message's headers and body, to derive a variant. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.headers.putAll(headers());
        b.body = body;
        return b;
    }

    /**
     * A message with this one's headers and body and {@code name} set to {@code value} (validated
     * like {@link Builder#header}; the id stays this message's unless {@code name} is {@code id}).
     * Cheaper than {@code toBuilder().header(name, value).build()}: the headers are copied once.
     */
    public Message withHeader(String name, String value) {
        Builder.validateHeader(name, value);
        Map<String, String> current = headers();
        Map<String, String> copy = new LinkedHashMap<>((current.size() + 1) * 4 / 3 + 1);
        copy.putAll(current);
        copy.put(name, value);
        if (Headers.ID.equals(name) && value.isEmpty()) {
            copy.put(Headers.ID, newId());
        }
        return new Message(Collections.unmodifiableMap(copy), body);
    }

    /** The message id, never null. */
    public String id() {
        return headers().get(Headers.ID);
    }

    /** The header's value, or null when absent. */
    public String header(String name) {
        return headers().get(name);
    }

    /** All headers, unmodifiable, in insertion order. */
    public Map<String, String> headers() {
        Map<String, String> h = headers;
        if (h != null) {
            return h;
        }
        h = generated;
        if (h == null) {
            h = Map.of(Headers.ID, hex(idHigh, idLow));
            generated = h;
        }
        return h;
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
        return o instanceof Message m && headers().equals(m.headers()) && Arrays.equals(body, m.body);
    }

    @Override
    public int hashCode() {
        return 31 * headers().hashCode() + Arrays.hashCode(body);
    }

    @Override
    public String toString() {
        return "Message{id=" + id() + ", headers=" + headerCount() + ", body=" + body.length + " bytes}";
    }

    /** Generates a random 128-bit message id as 32 hex characters. */
    public static String newId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return hex(r.nextLong(), r.nextLong());
    }

    private static final int ID_LENGTH = 32;

    /** {@code high} and {@code low} as 32 hex characters. */
    private static String hex(long high, long low) {
        byte[] hex = new byte[ID_LENGTH];
        fill(hex, 0, high);
        fill(hex, 16, low);
        return new String(hex, StandardCharsets.ISO_8859_1);
    }

    private static void fill(byte[] out, int at, long v) {
        for (int i = 15; i >= 0; i--) {
            out[at + i] = HEX[(int) (v & 0xf)];
            v >>>= 4;
        }
    }

    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.ISO_8859_1);

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
