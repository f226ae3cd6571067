package dev.omnibus.spring.boot;

import dev.omnibus.broker.event.Codec;
import dev.omnibus.broker.event.CodecException;
import dev.omnibus.broker.event.JsonCodec;
import java.lang.reflect.Type;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.json.JsonMapper;

/**
 * A JSON {@link Codec} over a Jackson 3 {@link JsonMapper}: the one Spring Boot 4 configures
 * ({@code spring.jackson.*}, modules, naming strategy), so events and HTTP bodies look alike. The
 * wire format is the same JSON as {@link JsonCodec}'s; the mapper you give must not enable default
 * typing for messages from sources you do not control.
 */
public final class Jackson3Codec implements Codec {
    private final JsonMapper mapper;
    private final Map<Type, JavaType> types = new ConcurrentHashMap<>();

    /** A codec over {@code mapper}. */
    public Jackson3Codec(JsonMapper mapper) {
        this.mapper = Objects.requireNonNull(mapper, "mapper must not be null");
    }

    /** The mapper in use. */
    public JsonMapper mapper() {
        return mapper;
    }

    @Override
    public String contentType() {
        return JsonCodec.CONTENT_TYPE;
    }

    @Override
    public byte[] encode(Object value) {
        try {
            return mapper.writeValueAsBytes(value);
        } catch (JacksonException e) {
            throw new CodecException("cannot encode " + (value == null ? "null" : value.getClass().getName())
                    + " as JSON: " + e.getOriginalMessage(), e);
        }
    }

    @Override
    public <T> T decode(byte[] body, Type type) {
        JavaType javaType = types.computeIfAbsent(type, t -> mapper.getTypeFactory().constructType(t));
        try {
            return mapper.readValue(body, javaType);
        } catch (JacksonException e) {
            throw new CodecException("cannot decode " + body.length + " bytes of JSON as " + type.getTypeName()
                    + ": " + e.getOriginalMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "Jackson3Codec{" + JsonCodec.CONTENT_TYPE + "}";
    }
}
