package dev.omnibus.broker.event;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Event;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Subscription;
import dev.omnibus.broker.support.DeadLetters;
import java.lang.reflect.Type;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Typed events over any {@link Broker}: values are encoded with a {@link Codec} (JSON by default)
 * and travel with headers {@code content-type} and {@value #EVENT_TYPE} (the value's type name),
 * so services in other languages read them without an envelope.
 *
 * <p>A body that does not decode into the subscribed type is a poison message: it is sent to the
 * subscription's dead-letter topic when one is set (with the decode error in
 * {@code omnibus-dead-letter-reason}), otherwise logged and dropped — once, never redelivered and
 * never stopping the subscription. The broker's lifecycle stays with its owner.
 */
public final class EventBus {
    /** Header naming the event's type. */
    public static final String EVENT_TYPE = "event-type";

    private static final Logger LOG = LoggerFactory.getLogger(EventBus.class);

    private final Broker broker;
    private final Codec codec;

    private EventBus(Broker broker, Codec codec) {
        this.broker = Objects.requireNonNull(broker, "broker must not be null");
        this.codec = Objects.requireNonNull(codec, "codec must not be null");
    }

    /** An event bus with the default {@link JsonCodec}. */
    public static EventBus create(Broker broker) {
        return new EventBus(broker, JsonCodec.create());
    }

    public static EventBus create(Broker broker, Codec codec) {
        return new EventBus(broker, codec);
    }

    public Broker broker() {
        return broker;
    }

    public Codec codec() {
        return codec;
    }

    /** Encodes and publishes {@code event}; see {@link Broker#publish}. */
    public void publish(String topic, Object event) {
        broker.publish(topic, toMessage(event, Map.of()));
    }

    /** Encodes and publishes {@code event} with extra headers. */
    public void publish(String topic, Object event, Map<String, String> headers) {
        broker.publish(topic, toMessage(event, headers));
    }

    /** Encodes and publishes without waiting; see {@link Broker#publishAsync}. */
    public CompletableFuture<Void> publishAsync(String topic, Object event) {
        return broker.publishAsync(topic, toMessage(event, Map.of()));
    }

    /** The message {@link #publish} sends for {@code event}. */
    public Message toMessage(Object event, Map<String, String> headers) {
        Objects.requireNonNull(event, "event must not be null");
        return Message.builder()
                .body(codec.encode(event))
                .headers(headers)
                .contentType(codec.contentType())
                .header(EVENT_TYPE, typeName(event.getClass()))
                .build();
    }

    public <T> Subscription subscribe(String topic, Class<T> type, TypedHandler<? super T> handler) {
        return subscribe(topic, type, handler, SubscribeOptions.defaults());
    }

    public <T> Subscription subscribe(String topic, Class<T> type, TypedHandler<? super T> handler, SubscribeOptions options) {
        return subscribe(topic, (Type) type, handler, options);
    }

    public <T> Subscription subscribe(String topic, TypeRef<T> type, TypedHandler<? super T> handler, SubscribeOptions options) {
        return subscribe(topic, type.type(), handler, options);
    }

    /** Decodes bodies as {@code type}; the handler runs only for bodies that decode. */
    public <T> Subscription subscribe(String topic, Type type, TypedHandler<? super T> handler, SubscribeOptions options) {
        Objects.requireNonNull(type, "type must not be null");
        Objects.requireNonNull(handler, "handler must not be null");
        Objects.requireNonNull(options, "options must not be null");
        return broker.subscribe(topic, event -> {
            T value;
            try {
                value = codec.decode(event.message().body(), type);
            } catch (CodecException e) {
                poisonOf(event, e, options);
                return;
            }
            handler.handle(value, event);
        }, options);
    }

    /** Decodes {@code message}'s body as {@code type}. */
    public <T> T decode(Message message, Type type) {
        return codec.decode(message.body(), type);
    }

    /** The type name sent in {@value #EVENT_TYPE}: the {@link EventType} annotation, else the simple class name. */
    public static String typeName(Class<?> type) {
        EventType annotation = type.getAnnotation(EventType.class);
        return annotation != null ? annotation.value() : type.getSimpleName();
    }

    /** Dead-letters or drops (once) a delivery whose body does not decode. */
    void poisonOf(Event event, CodecException error, SubscribeOptions options) {
        Message m = event.message();
        String dlt = options.deadLetterTopic();
        if (dlt != null) {
            try {
                broker.publish(dlt, DeadLetters.of(m, event.topic(), event.deliveryAttempt(), error));
                LOG.warn("Message {} on '{}' does not decode; sent to dead-letter topic '{}': {}", m.id(), event.topic(), dlt,
                        error.getMessage());
            } catch (RuntimeException e) {
                // keep the original for redelivery rather than lose it
                LOG.error("Message {} on '{}' does not decode and could not be dead-lettered to '{}': {}", m.id(),
                        event.topic(), dlt, e.toString());
                event.nack();
                return;
            }
        } else {
            LOG.error("Dropping message {} on '{}': it does not decode and the subscription has no deadLetterTopic: {}",
                    m.id(), event.topic(), error.getMessage());
        }
        event.ack();
    }

    /** @return a string for logs; the broker's address has no password */
    @Override
    public String toString() {
        return "EventBus{broker=" + broker + ", codec=" + codec.contentType() + "}";
    }
}
