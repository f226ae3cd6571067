package dev.omnibus.broker.event;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Event;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Subscription;
import dev.omnibus.broker.support.DeadLetters;
import java.lang.reflect.Type;
import java.net.URI;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Typed events over any {@link Broker}: values are encoded with a {@link Codec} (JSON by default)
 * and travel with headers {@code content-type} and {@value #EVENT_TYPE} (the value's type name),
 * so services in other languages read them without an envelope.
 *
 * <p><b>CloudEvents.</b> {@link #publishCloudEvent} sends a CloudEvents 1.0 event on any bus;
 * {@link #withCloudEvents} makes a bus whose {@link #publish} sends every value as one (with a
 * random {@code id}, the bus's {@code source}, {@code type} = {@link #typeName}, {@code time} =
 * now and {@code datacontenttype} = the codec's). Binary content mode is the default: the data is
 * the body and the attributes are headers named by the broker's {@link CloudEventBinding}
 * ({@link CloudEventCapable}); structured mode puts the whole event in the body as
 * {@value CloudEventBinding#STRUCTURED_JSON}. {@link #subscribeCloudEvents} detects the mode and
 * hands over attributes and decoded data; {@link #subscribe} and {@link #decode} read the data of
 * a structured event too, so plain subscribers keep working when publishers switch.
 *
 * <p>A body that does not decode into the subscribed type, or (for {@link #subscribeCloudEvents})
 * a message that is not a valid CloudEvent, is a poison message: it is sent to the
 * subscription's dead-letter topic when one is set (with the error in
 * {@code omnibus-dead-letter-reason}), otherwise logged and dropped — once, never redelivered and
 * never stopping the subscription. The broker's lifecycle stays with its owner.
 */
public final class EventBus {
    /** Header naming the event's type. */
    public static final String EVENT_TYPE = "event-type";

    private static final Logger LOG = LoggerFactory.getLogger(EventBus.class);

    private final Broker broker;
    private final Codec codec;
    /** Null: {@link #publish} sends plain events. */
    private final CloudEventMode cloudEventMode;
    private final URI source;
    private final CloudEventBinding binding;

    private EventBus(Broker broker, Codec codec, CloudEventMode cloudEventMode, URI source) {
        this.broker = Objects.requireNonNull(broker, "broker must not be null");
        this.codec = Objects.requireNonNull(codec, "codec must not be null");
        this.cloudEventMode = cloudEventMode;
        this.source = source;
        this.binding = broker instanceof CloudEventCapable c ? Objects.requireNonNull(c.cloudEventBinding(),
                "cloudEventBinding() of " + broker.name()) : CloudEventBinding.DEFAULT;
    }

    /** An event bus with the default {@link JsonCodec}. */
    public static EventBus create(Broker broker) {
        return new EventBus(broker, JsonCodec.create(), null, null);
    }

    public static EventBus create(Broker broker, Codec codec) {
        return new EventBus(broker, codec, null, null);
    }

    /** This bus's broker and codec, publishing every value as a CloudEvent from {@code source} in binary mode. */
    public EventBus withCloudEvents(URI source) {
        return withCloudEvents(source, CloudEventMode.BINARY);
    }

    /**
     * This bus's broker and codec, publishing every value as a CloudEvent from {@code source} (a
     * URI-reference such as {@code /billing} or {@code urn:example:billing}) in {@code mode}.
     */
    public EventBus withCloudEvents(URI source, CloudEventMode mode) {
        Objects.requireNonNull(source, "source must not be null");
        Objects.requireNonNull(mode, "mode must not be null");
        if (source.toString().isEmpty()) {
            throw new InvalidCloudEventException("required attribute 'source' is empty");
        }
        return new EventBus(broker, codec, mode, source);
    }

    /** The content mode {@link #publish} uses; empty when it sends plain events. */
    public Optional<CloudEventMode> cloudEventMode() {
        return Optional.ofNullable(cloudEventMode);
    }

    /** The {@code source} of events {@link #publish} sends as CloudEvents; empty when it sends plain events. */
    public Optional<URI> cloudEventSource() {
        return Optional.ofNullable(source);
    }

    /** How attributes travel as headers on this bus's broker. */
    public CloudEventBinding cloudEventBinding() {
        return binding;
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
        if (cloudEventMode != null) {
            return toCloudEventMessage(newCloudEvent(typeName(event.getClass())).build(), event, headers, cloudEventMode);
        }
        return Message.builder()
                .body(codec.encode(event))
                .headers(headers)
                .contentType(codec.contentType())
                .header(EVENT_TYPE, typeName(event.getClass()))
                .build();
    }

    /**
     * Attributes for an event of {@code type} from this bus: a random UUID {@code id}, the bus's
     * {@code source} (set one with {@link #withCloudEvents} or on the builder), {@code time} = now
     * (UTC, milliseconds) and the codec's {@code datacontenttype}.
     */
    public CloudEventAttributes.Builder newCloudEvent(String type) {
        CloudEventAttributes.Builder b = CloudEventAttributes.builder()
                .id(UUID.randomUUID().toString())
                .type(type)
                .time(OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MILLIS))
                .dataContentType(codec.contentType());
        if (source != null) {
            b.source(source);
        }
        return b;
    }

    /**
     * Publishes {@code data} as a CloudEvent with {@code attributes}, in this bus's mode (binary
     * when it has none); {@code datacontenttype} defaults to the codec's.
     *
     * @throws InvalidCloudEventException (before anything is sent) if the attributes are not valid
     */
    public void publishCloudEvent(String topic, CloudEventAttributes attributes, Object data) {
        publishCloudEvent(topic, attributes, data, cloudEventMode != null ? cloudEventMode : CloudEventMode.BINARY);
    }

    /** As {@link #publishCloudEvent(String, CloudEventAttributes, Object)}, in {@code mode}. */
    public void publishCloudEvent(String topic, CloudEventAttributes attributes, Object data, CloudEventMode mode) {
        broker.publish(topic, toCloudEventMessage(attributes, data, Map.of(), mode));
    }

    /** As {@link #publishCloudEvent(String, CloudEventAttributes, Object, CloudEventMode)}, without waiting; see {@link Broker#publishAsync}. */
    public CompletableFuture<Void> publishCloudEventAsync(String topic, CloudEventAttributes attributes, Object data,
            CloudEventMode mode) {
        return broker.publishAsync(topic, toCloudEventMessage(attributes, data, Map.of(), mode));
    }

    /**
     * The message that carries {@code data} (null: no data) as a CloudEvent in {@code mode} on
     * this bus's broker, with extra {@code headers} (which attribute headers override).
     */
    public Message toCloudEventMessage(CloudEventAttributes attributes, Object data, Map<String, String> headers,
            CloudEventMode mode) {
        Objects.requireNonNull(attributes, "attributes must not be null");
        Objects.requireNonNull(headers, "headers must not be null");
        Objects.requireNonNull(mode, "mode must not be null");
        CloudEventAttributes a = attributes;
        if (data != null && a.dataContentType().isEmpty()) {
            a = a.toBuilder().dataContentType(codec.contentType()).build();
        }
        return CloudEventWire.toMessage(a, data == null ? null : codec.encode(data), mode, binding, headers);
    }

    /**
     * The CloudEvent in {@code message}, in either content mode, its data decoded as {@code type}.
     *
     * @throws InvalidCloudEventException if the message is not a valid CloudEvent
     * @throws CodecException if the data does not decode
     */
    public <T> CloudEvent<T> readCloudEvent(Message message, Type type) {
        CloudEventWire.Received r = CloudEventWire.read(message, binding);
        T data = r.data() == null ? null : codec.decode(r.data(), type);
        return new CloudEvent<>(r.attributes(), data);
    }

    /** {@link #subscribeCloudEvents(String, Type, TypedHandler, SubscribeOptions)} with default options. */
    public <T> Subscription subscribeCloudEvents(String topic, Class<T> type, TypedHandler<? super CloudEvent<T>> handler) {
        return subscribeCloudEvents(topic, type, handler, SubscribeOptions.defaults());
    }

    public <T> Subscription subscribeCloudEvents(String topic, Class<T> type, TypedHandler<? super CloudEvent<T>> handler,
            SubscribeOptions options) {
        return subscribeCloudEvents(topic, (Type) type, handler, options);
    }

    public <T> Subscription subscribeCloudEvents(String topic, TypeRef<T> type, TypedHandler<? super CloudEvent<T>> handler,
            SubscribeOptions options) {
        return subscribeCloudEvents(topic, type.type(), handler, options);
    }

    /**
     * Receives CloudEvents in either content mode, data decoded as {@code type}; the handler runs
     * only for valid events whose data decodes (or that have none: data is null), anything else
     * is a poison message (see the class comment).
     */
    public <T> Subscription subscribeCloudEvents(String topic, Type type, TypedHandler<? super CloudEvent<T>> handler,
            SubscribeOptions options) {
        Objects.requireNonNull(type, "type must not be null");
        Objects.requireNonNull(handler, "handler must not be null");
        Objects.requireNonNull(options, "options must not be null");
        return broker.subscribe(topic, event -> {
            CloudEvent<T> value;
            try {
                value = readCloudEvent(event.message(), type);
            } catch (InvalidCloudEventException | CodecException e) {
                poisonOf(event, e, options);
                return;
            }
            handler.handle(value, event);
        }, options);
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
                value = decode(event.message(), type);
            } catch (InvalidCloudEventException | CodecException e) {
                poisonOf(event, e, options);
                return;
            }
            handler.handle(value, event);
        }, options);
    }

    /**
     * Decodes {@code message}'s body as {@code type}; of a structured CloudEvent, its data.
     *
     * @throws InvalidCloudEventException if the message says it is a structured CloudEvent but is not a valid one
     */
    public <T> T decode(Message message, Type type) {
        if (CloudEventWire.isStructured(message)) {
            return this.<T>readCloudEvent(message, type).data();
        }
        return codec.decode(message.body(), type);
    }

    /** The type name sent in {@value #EVENT_TYPE}: the {@link EventType} annotation, else the simple class name. */
    public static String typeName(Class<?> type) {
        EventType annotation = type.getAnnotation(EventType.class);
        return annotation != null ? annotation.value() : type.getSimpleName();
    }

    /** Dead-letters or drops (once) a delivery whose body does not decode or is not a valid CloudEvent. */
    void poisonOf(Event event, RuntimeException error, SubscribeOptions options) {
        Message m = event.message();
        String dlt = options.deadLetterTopic();
        if (dlt != null) {
            try {
                broker.publish(dlt, DeadLetters.of(m, event.topic(), event.deliveryAttempt(), error));
                LOG.warn("Message {} on '{}' cannot be read; sent to dead-letter topic '{}': {}", m.id(), event.topic(), dlt,
                        error.getMessage());
            } catch (RuntimeException e) {
                // keep the original for redelivery rather than lose it
                LOG.error("Message {} on '{}' cannot be read and could not be dead-lettered to '{}': {}", m.id(),
                        event.topic(), dlt, e.toString());
                event.nack();
                return;
            }
        } else {
            LOG.error("Dropping message {} on '{}': it cannot be read and the subscription has no deadLetterTopic: {}",
                    m.id(), event.topic(), error.getMessage());
        }
        event.ack();
    }

    /** @return a string for logs; the broker's address has no password */
    @Override
    public String toString() {
        return "EventBus{broker=" + broker + ", codec=" + codec.contentType()
                + (cloudEventMode == null ? "" : ", cloudEvents=" + cloudEventMode + " from " + source) + "}";
    }
}
