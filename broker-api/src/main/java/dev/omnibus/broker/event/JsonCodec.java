package dev.omnibus.broker.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * JSON with Jackson: records and beans, {@code java.time} values as ISO-8601 strings, unknown
 * properties ignored (so producers can add fields). Polymorphic default typing is never enabled:
 * a body names no class to instantiate, so untrusted input cannot pick one.
 */
public final class JsonCodec implements Codec {
    public static final String CONTENT_TYPE = "application/json";

    private final ObjectMapper mapper;
    private final Map<Type, JavaType> types = new ConcurrentHashMap<>();

    private JsonCodec(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** The default configuration described above. */
    public static JsonCodec create() {
        return new JsonCodec(JsonMapper.builder()
                .addModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build());
    }

    /**
     * A codec over a mapper you configured. Do not enable default typing on it for messages from
     * sources you do not control.
     */
    public static JsonCodec using(ObjectMapper mapper) {
        return new JsonCodec(Objects.requireNonNull(mapper, "mapper"));
    }

    @Override
    public String contentType() {
        return CONTENT_TYPE;
    }

    @Override
    public byte[] encode(Object value) {
        try {
            return mapper.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new CodecException("cannot encode " + (value == null ? "null" : value.getClass().getName())
                    + " as JSON: " + e.getOriginalMessage(), e);
        }
    }

    @Override
    public <T> T decode(byte[] body, Type type) {
        JavaType javaType = types.computeIfAbsent(type, t -> mapper.getTypeFactory().constructType(t));
        try {
            return mapper.readValue(body, javaType);
        } catch (IOException e) {
            throw new CodecException("cannot decode " + body.length + " bytes of JSON as " + type.getTypeName()
                    + where(e) + ": " + (e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage()), e);
        }
    }

    private static String where(IOException e) {
        if (!(e instanceof JsonMappingException jme) || jme.getPath().isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder(" at ");
        for (JsonMappingException.Reference r : jme.getPath()) {
            if (r.getFieldName() != null) {
                b.append(b.length() > 4 ? "." : "").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.toString();
    }
}
