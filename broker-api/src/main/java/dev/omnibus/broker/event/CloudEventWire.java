package dev.omnibus.broker.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Message;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/** CloudEvents in messages: binary mode through a {@link CloudEventBinding}, structured mode as the JSON event format. */
final class CloudEventWire {
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    /** An event read from a message: valid attributes and the raw data (null when the event has none). */
    record Received(CloudEventAttributes attributes, byte[] data, CloudEventMode mode) {
    }

    private CloudEventWire() {
    }

    static Message toMessage(CloudEventAttributes a, byte[] data, CloudEventMode mode, CloudEventBinding binding,
            Map<String, String> headers) {
        Message.Builder b = Message.builder().headers(headers);
        if (mode == CloudEventMode.STRUCTURED) {
            return b.contentType(CloudEventBinding.STRUCTURED_JSON).body(structured(a, data)).build();
        }
        a.dataContentType().ifPresent(b::contentType);
        for (Map.Entry<String, String> e : a.asMap().entrySet()) {
            String header = binding.headerOf(e.getKey());
            boolean plainHeader = header.equals(Headers.CONTENT_TYPE);
            b.header(header, binding.percentEncoded() && !plainHeader ? percentEncode(e.getValue()) : e.getValue());
        }
        if (data != null) {
            b.body(data);
        }
        return b.build();
    }

    /** Whether {@code m} says it is a structured CloudEvent (content type {@code application/cloudevents...}). */
    static boolean isStructured(Message m) {
        String ct = header(m, Headers.CONTENT_TYPE);
        return ct != null && ct.trim().toLowerCase(Locale.ROOT).startsWith("application/cloudevents");
    }

    /**
     * The event in {@code m}, in whichever mode it came.
     *
     * @throws InvalidCloudEventException if {@code m} is not a valid CloudEvent
     */
    static Received read(Message m, CloudEventBinding binding) {
        if (isStructured(m)) {
            String ct = header(m, Headers.CONTENT_TYPE).trim().toLowerCase(Locale.ROOT);
            if (!ct.startsWith(CloudEventBinding.STRUCTURED_JSON)) {
                throw new InvalidCloudEventException("structured CloudEvent in unsupported event format '" + ct
                        + "'; only " + CloudEventBinding.STRUCTURED_JSON + " is read");
            }
            return readStructured(m.body());
        }
        CloudEventAttributes.Builder b = CloudEventAttributes.builder().specVersion(null);
        boolean any = false;
        boolean prefixedContentType = false;
        for (Map.Entry<String, String> h : m.headers().entrySet()) {
            String name = binding.attributeOf(h.getKey());
            if (name == null) {
                continue;
            }
            any = true;
            String value = binding.percentEncoded() ? percentDecode(name, h.getValue()) : h.getValue();
            prefixedContentType |= name.equals("datacontenttype");
            b.attribute(name, value);
        }
        if (!any) {
            throw new InvalidCloudEventException("not a CloudEvent: no '" + binding.prefix()
                    + "specversion' header (binary mode) and content type is not " + CloudEventBinding.STRUCTURED_JSON
                    + " (structured mode)");
        }
        if (!prefixedContentType) {
            String ct = header(m, binding.dataContentTypeHeader());
            if (ct == null) {
                ct = header(m, Headers.CONTENT_TYPE);
            }
            b.dataContentType(ct);
        }
        return new Received(b.build(), m.body().length == 0 ? null : m.body(), CloudEventMode.BINARY);
    }

    /** The header {@code name}, matched ignoring case (NATS and HTTP header names are case-insensitive). */
    private static String header(Message m, String name) {
        String v = m.header(name);
        if (v != null) {
            return v;
        }
        for (Map.Entry<String, String> h : m.headers().entrySet()) {
            if (h.getKey().equalsIgnoreCase(name)) {
                return h.getValue();
            }
        }
        return null;
    }

    static byte[] structured(CloudEventAttributes a, byte[] data) {
        ObjectNode root = JSON.createObjectNode();
        a.asMap().forEach(root::put);
        if (data != null) {
            String ct = a.dataContentType().orElse(null);
            if (isJson(ct)) {
                try {
                    root.set("data", JSON.readTree(data));
                } catch (IOException notJson) {
                    root.put("data_base64", Base64.getEncoder().encodeToString(data));
                }
            } else if (ct.toLowerCase(Locale.ROOT).startsWith("text/")) {
                root.put("data", new String(data, StandardCharsets.UTF_8));
            } else {
                root.put("data_base64", Base64.getEncoder().encodeToString(data));
            }
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new CodecException("cannot write the CloudEvent as JSON: " + e.getOriginalMessage(), e);
        }
    }

    static Received readStructured(byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            throw new InvalidCloudEventException("structured CloudEvent is not valid JSON: "
                    + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()), e);
        }
        if (root == null || !root.isObject()) {
            throw new InvalidCloudEventException("structured CloudEvent must be a JSON object");
        }
        CloudEventAttributes.Builder b = CloudEventAttributes.builder().specVersion(null);
        JsonNode data = null;
        JsonNode base64 = null;
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> f = it.next();
            String name = f.getKey();
            JsonNode v = f.getValue();
            if (name.equals("data")) {
                data = v.isNull() ? null : v;
            } else if (name.equals("data_base64")) {
                base64 = v.isNull() ? null : v;
            } else if (!v.isNull()) {
                b.attribute(name, attributeText(name, v));
            }
        }
        CloudEventAttributes a = b.build();
        if (data != null && base64 != null) {
            throw new InvalidCloudEventException("structured CloudEvent has both 'data' and 'data_base64'");
        }
        byte[] bytes = null;
        if (base64 != null) {
            if (!base64.isTextual()) {
                throw new InvalidCloudEventException("'data_base64' must be a JSON string");
            }
            try {
                bytes = Base64.getDecoder().decode(base64.textValue());
            } catch (IllegalArgumentException e) {
                throw new InvalidCloudEventException("'data_base64' is not Base64: " + e.getMessage(), e);
            }
        } else if (data != null) {
            if (!isJson(a.dataContentType().orElse(null)) && data.isTextual()) {
                bytes = data.textValue().getBytes(StandardCharsets.UTF_8);
            } else {
                try {
                    bytes = JSON.writeValueAsBytes(data);
                } catch (JsonProcessingException e) {
                    throw new CodecException("cannot write the data of a CloudEvent: " + e.getOriginalMessage(), e);
                }
            }
        }
        return new Received(a, bytes, CloudEventMode.STRUCTURED);
    }

    private static String attributeText(String name, JsonNode v) {
        if (v.isTextual()) {
            return v.textValue();
        }
        if (!CloudEventAttributes.CORE.contains(name) && (v.isBoolean() || v.isIntegralNumber())) {
            return v.asText();
        }
        throw new InvalidCloudEventException("attribute '" + name + "' must be a JSON string"
                + (CloudEventAttributes.CORE.contains(name) ? "" : ", integer or boolean") + ", got " + v.getNodeType());
    }

    /** Whether data of content type {@code ct} is JSON: absent, {@code application/json}, {@code text/json} or {@code +json}. */
    static boolean isJson(String ct) {
        if (ct == null) {
            return true;
        }
        String base = ct.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return base.equals("application/json") || base.equals("text/json") || base.endsWith("+json");
    }

    /** Percent-encodes space, '"', '%' and everything outside printable ASCII, as UTF-8 bytes. */
    static String percentEncode(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c > ' ' && c < 0x7f && c != '"' && c != '%') {
                if (out != null) {
                    out.append(c);
                }
                continue;
            }
            if (out == null) {
                out = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            int cp = s.codePointAt(i);
            if (Character.charCount(cp) == 2) {
                i++;
            }
            for (byte x : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                out.append('%').append(HEX[(x >> 4) & 0xf]).append(HEX[x & 0xf]);
            }
        }
        return out == null ? s : out.toString();
    }

    /** Undoes {@link #percentEncode}, after unquoting an RFC 7230 quoted string; invalid UTF-8 is rejected. */
    static String percentDecode(String attribute, String v) {
        String s = v;
        if (s.length() >= 2 && s.charAt(0) == '"' && s.charAt(s.length() - 1) == '"') {
            StringBuilder u = new StringBuilder(s.length());
            for (int i = 1; i < s.length() - 1; i++) {
                char c = s.charAt(i);
                if (c == '\\' && i + 1 < s.length() - 1) {
                    c = s.charAt(++i);
                }
                u.append(c);
            }
            s = u.toString();
        }
        if (s.indexOf('%') < 0) {
            return s;
        }
        ByteBuffer bytes = ByteBuffer.allocate(s.length() * 3);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                int hi = i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
                int lo = hi < 0 ? -1 : Character.digit(s.charAt(i + 2), 16);
                if (lo < 0) {
                    throw new InvalidCloudEventException("header of attribute '" + attribute
                            + "' has a '%' not followed by two hex digits at index " + i);
                }
                bytes.put((byte) (hi << 4 | lo));
                i += 2;
            } else {
                int cp = s.codePointAt(i);
                bytes.put(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
                i += Character.charCount(cp) - 1;
            }
        }
        bytes.flip();
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            CharBuffer chars = utf8.decode(bytes);
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new InvalidCloudEventException("header of attribute '" + attribute
                    + "' is percent-encoded but not valid UTF-8", e);
        }
    }
}
