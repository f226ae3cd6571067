package dev.omnibus.broker.tck;

import io.cloudevents.CloudEvent;
import io.cloudevents.CloudEventData;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.data.BytesCloudEventData;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.core.message.MessageReader;
import io.cloudevents.core.message.MessageWriter;
import io.cloudevents.core.message.impl.BaseGenericBinaryMessageReaderImpl;
import io.cloudevents.core.message.impl.GenericStructuredMessageReader;
import io.cloudevents.core.message.impl.MessageUtils;
import io.cloudevents.core.provider.EventFormatProvider;
import io.cloudevents.jackson.JsonFormat;
import io.cloudevents.rw.CloudEventContextWriter;
import io.cloudevents.rw.CloudEventWriter;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The CloudEvents Java SDK on a message that is string headers and a body: the SDK's own
 * {@link MessageWriter} and {@link BaseGenericBinaryMessageReaderImpl} hooks, told only the header
 * names of a protocol binding (prefix, the header of {@code datacontenttype}, percent-encoding
 * per the NATS/HTTP bindings, written here from the spec text). Omnibus code is not used. For a
 * backend's CloudEvents interop tests: the backend's test scope needs {@code io.cloudevents:cloudevents-core}
 * and {@code cloudevents-json-jackson} (optional dependencies of the kit).
 */
public final class CloudEventSdkWire {
    /** A message as the wire sees it. */
    public record Wire(Map<String, String> headers, byte[] body) {
    }

    private final String prefix;
    private final String contentTypeHeader;
    private final boolean percentEncoded;

    /**
     * @param prefix            the binding's attribute header prefix ({@code ce-}, {@code cloudEvents_})
     * @param contentTypeHeader the header of {@code datacontenttype} in binary mode
     * @param percentEncoded    whether values are percent-encoded (NATS, HTTP)
     */
    public CloudEventSdkWire(String prefix, String contentTypeHeader, boolean percentEncoded) {
        this.prefix = prefix;
        this.contentTypeHeader = contentTypeHeader;
        this.percentEncoded = percentEncoded;
    }

    /** The SDK writing {@code event} in binary mode. */
    public Wire writeBinary(CloudEvent event) {
        return new Writer().writeBinary(event);
    }

    /** The SDK writing {@code event} in structured mode (JSON). */
    public Wire writeStructured(CloudEvent event) {
        return new Writer().writeStructured(event, JsonFormat.CONTENT_TYPE);
    }

    /** The SDK's reading of a message, detecting the mode as the SDK's bindings do. */
    public CloudEvent read(Map<String, String> headers, byte[] body) {
        MessageReader reader = MessageUtils.parseStructuredOrBinaryMessage(
                () -> get(headers, "content-type"),
                format -> new GenericStructuredMessageReader(format, body),
                () -> get(headers, prefix + "specversion"),
                version -> new BinaryReader(version, body.length == 0 ? null : BytesCloudEventData.wrap(body), headers));
        return reader.toEvent();
    }

    /** The SDK's JSON event format. */
    public static EventFormat json() {
        return EventFormatProvider.getInstance().resolveFormat(JsonFormat.CONTENT_TYPE);
    }

    private static String get(Map<String, String> headers, String name) {
        for (Map.Entry<String, String> h : headers.entrySet()) {
            if (h.getKey().equalsIgnoreCase(name)) {
                return h.getValue();
            }
        }
        return null;
    }

    private String encode(String v) {
        if (!percentEncoded) {
            return v;
        }
        StringBuilder b = new StringBuilder();
        for (byte x : v.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            if (c > 0x20 && c < 0x7f && c != '"' && c != '%') {
                b.append((char) c);
            } else {
                b.append('%').append(String.format("%02X", c));
            }
        }
        return b.toString();
    }

    private String decode(String v) {
        return percentEncoded ? URLDecoder.decode(v.replace("+", "%2B"), StandardCharsets.UTF_8) : v;
    }

    private final class Writer implements MessageWriter<Writer, Wire>, CloudEventWriter<Wire> {
        private final Map<String, String> headers = new LinkedHashMap<>();

        @Override
        public Writer create(SpecVersion version) {
            headers.put(prefix + "specversion", version.toString());
            return this;
        }

        @Override
        public Wire setEvent(EventFormat format, byte[] value) {
            headers.put("content-type", format.serializedContentType());
            return new Wire(headers, value);
        }

        @Override
        public CloudEventContextWriter withContextAttribute(String name, String value) {
            headers.put(name.equals("datacontenttype") ? contentTypeHeader : prefix + name, encode(value));
            return this;
        }

        @Override
        public Wire end(CloudEventData data) {
            return new Wire(headers, data.toBytes());
        }

        @Override
        public Wire end() {
            return new Wire(headers, new byte[0]);
        }
    }

    private final class BinaryReader extends BaseGenericBinaryMessageReaderImpl<String, String> {
        private final Map<String, String> headers;

        BinaryReader(SpecVersion version, CloudEventData body, Map<String, String> headers) {
            super(version, body);
            this.headers = headers;
        }

        @Override
        protected boolean isContentTypeHeader(String key) {
            return key.equalsIgnoreCase(contentTypeHeader);
        }

        @Override
        protected boolean isCloudEventsHeader(String key) {
            return key.length() > prefix.length() && key.regionMatches(true, 0, prefix, 0, prefix.length());
        }

        @Override
        protected String toCloudEventsKey(String key) {
            return key.substring(prefix.length()).toLowerCase(Locale.ROOT);
        }

        @Override
        protected void forEachHeader(BiConsumer<String, String> fn) {
            headers.forEach(fn);
        }

        @Override
        protected String toCloudEventsValue(String value) {
            return decode(value);
        }
    }
}
