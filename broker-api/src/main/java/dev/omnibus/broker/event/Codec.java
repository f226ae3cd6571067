package dev.omnibus.broker.event;

import java.lang.reflect.Type;

/**
 * Turns values into message bodies and back. Implementations are thread-safe. The default is
 * {@link JsonCodec}; plug another one into {@link EventBus} with {@link EventBus#create(dev.omnibus.broker.Broker, Codec)}.
 */
public interface Codec {
    /** The MIME type of encoded bodies, sent as the {@code content-type} header. */
    String contentType();

    /**
     * Encodes {@code value}.
     *
     * @throws CodecException if the value cannot be encoded
     */
    byte[] encode(Object value);

    /**
     * Decodes {@code body} as {@code type} (a {@link Class} or a parameterized type, see {@link TypeRef}).
     *
     * @throws CodecException if the body is not a valid encoding of {@code type}
     */
    <T> T decode(byte[] body, Type type);
}
