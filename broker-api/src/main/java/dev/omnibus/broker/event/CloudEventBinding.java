package dev.omnibus.broker.event;

import dev.omnibus.broker.Headers;
import java.util.Locale;
import java.util.Objects;

/**
 * How CloudEvents attributes map to message headers in binary content mode on one kind of
 * broker, as the protocol's CloudEvents binding prescribes; immutable.
 *
 * <p>Every attribute travels as the header {@link #prefix()} + name ({@code ce-id},
 * {@code cloudEvents_id}, ...) except {@code datacontenttype}, which travels in
 * {@link #dataContentTypeHeader()}: {@code content-type} for most bindings (HTTP, Kafka, AMQP),
 * the prefixed header for NATS. The Omnibus {@code content-type} header is always set to the
 * data's content type in binary mode as well. Where {@link #percentEncoded()} is true (NATS,
 * HTTP), values are percent-encoded as the binding says: space, {@code "}, {@code %} and every
 * character outside printable ASCII become {@code %XX} of their UTF-8 bytes.
 *
 * <p>Receiving, header names are matched ignoring case and the attribute name is lower-cased; a
 * percent-encoded value may also arrive as an RFC 7230 quoted string.
 */
public final class CloudEventBinding {
    /** Content type of a structured event in the JSON event format. */
    public static final String STRUCTURED_JSON = "application/cloudevents+json";

    /**
     * The binding of a broker that declares none (memory and any backend that is not
     * {@link CloudEventCapable}): prefix {@code ce-}, datacontenttype in {@code content-type},
     * values as they are (the HTTP binding's names, without its percent-encoding, since such a
     * broker carries any Unicode header value).
     */
    public static final CloudEventBinding DEFAULT = new CloudEventBinding("ce-", Headers.CONTENT_TYPE, false);

    private final String prefix;
    private final String dataContentTypeHeader;
    private final boolean percentEncoded;

    private CloudEventBinding(String prefix, String dataContentTypeHeader, boolean percentEncoded) {
        this.prefix = prefix;
        this.dataContentTypeHeader = dataContentTypeHeader;
        this.percentEncoded = percentEncoded;
    }

    /**
     * A binding with attribute header {@code prefix}, datacontenttype in
     * {@code dataContentTypeHeader}, values percent-encoded or not.
     *
     * @throws IllegalArgumentException if the prefix is empty or contains whitespace, ':' or control characters
     */
    public static CloudEventBinding of(String prefix, String dataContentTypeHeader, boolean percentEncoded) {
        Objects.requireNonNull(prefix, "prefix must not be null");
        Objects.requireNonNull(dataContentTypeHeader, "dataContentTypeHeader must not be null");
        if (prefix.isEmpty() || prefix.chars().anyMatch(c -> c <= ' ' || c == ':' || c == 0x7f)) {
            throw new IllegalArgumentException("CloudEvents header prefix '" + prefix
                    + "' must be a non-empty token without whitespace, ':' or control characters");
        }
        return new CloudEventBinding(prefix, dataContentTypeHeader, percentEncoded);
    }

    /** The prefix of attribute headers, e.g. {@code ce-}. */
    public String prefix() {
        return prefix;
    }

    /** The header carrying {@code datacontenttype} in binary mode. */
    public String dataContentTypeHeader() {
        return dataContentTypeHeader;
    }

    /** Whether header values are percent-encoded. */
    public boolean percentEncoded() {
        return percentEncoded;
    }

    /** The header carrying attribute {@code name} in binary mode. */
    public String headerOf(String name) {
        return name.equals("datacontenttype") ? dataContentTypeHeader : prefix + name;
    }

    /** The attribute carried by header {@code header}, lower-cased; null if it carries none. */
    String attributeOf(String header) {
        if (header.length() > prefix.length() && header.regionMatches(true, 0, prefix, 0, prefix.length())) {
            return header.substring(prefix.length()).toLowerCase(Locale.ROOT);
        }
        return null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CloudEventBinding b && prefix.equals(b.prefix)
                && dataContentTypeHeader.equals(b.dataContentTypeHeader) && percentEncoded == b.percentEncoded;
    }

    @Override
    public int hashCode() {
        return Objects.hash(prefix, dataContentTypeHeader, percentEncoded);
    }

    @Override
    public String toString() {
        return "CloudEventBinding{prefix=" + prefix + ", datacontenttype=" + dataContentTypeHeader
                + (percentEncoded ? ", percent-encoded" : "") + "}";
    }
}
