package dev.omnibus.broker.event;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Subscription;
import dev.omnibus.broker.Topics;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Resource lifecycle events on an {@link EventBus}, so that modules react to a resource being
 * created, updated or deleted without knowing each other (singlecloud's event bus, across
 * processes). Topics are {@code resource.<kind>.created}, {@code resource.<kind>.updated} and
 * {@code resource.<kind>.deleted}; the kind comes from {@link ResourceKind} or the lower-cased
 * simple class name. Bodies: the resource for created and deleted, {@code {"old":..,"new":..}}
 * for updated; header {@code event-type} is {@code resource.created} etc.
 *
 * <p>On a bus {@linkplain EventBus#withCloudEvents made for CloudEvents} every event is a
 * CloudEvent in the bus's mode, with {@code type} {@code resource.<kind>.created} (or
 * {@code updated}, {@code deleted}), the bus's {@code source}, a random {@code id} and the
 * same bodies as data; subscribers read both forms.
 */
public final class ResourceEvents {
    /** First token of every resource topic. */
    public static final String PREFIX = "resource";
    /** Header naming the resource kind. */
    static final String RESOURCE_KIND = "resource-kind";

    private final EventBus bus;

    public ResourceEvents(EventBus bus) {
        this.bus = Objects.requireNonNull(bus, "bus must not be null");
    }

    public void publishCreated(Object resource) {
        publish(resource, "created", resource);
    }

    public void publishUpdated(Object oldResource, Object newResource) {
        Objects.requireNonNull(oldResource, "oldResource must not be null");
        Objects.requireNonNull(newResource, "newResource must not be null");
        if (oldResource.getClass() != newResource.getClass()) {
            throw new IllegalArgumentException("old and new resource must be of one kind, got "
                    + oldResource.getClass().getName() + " and " + newResource.getClass().getName());
        }
        publish(newResource, "updated", new UpdatePayload<>(oldResource, newResource));
    }

    public void publishDeleted(Object resource) {
        publish(resource, "deleted", resource);
    }

    /** Subscribes {@code handler} to every event of {@code kind}, broadcast. */
    public <T> Subscription subscribe(TypedHandler<ResourceEvent<T>> handler, Class<T> kind) {
        return subscribe(handler, SubscribeOptions.defaults(), kind);
    }

    /**
     * Subscribes {@code handler} to every event of each of {@code kinds}; the returned
     * subscription covers them all.
     */
    @SafeVarargs
    public final <T> Subscription subscribe(TypedHandler<ResourceEvent<T>> handler, SubscribeOptions options,
            Class<? extends T>... kinds) {
        Objects.requireNonNull(handler, "handler must not be null");
        if (kinds.length == 0) {
            throw new IllegalArgumentException("name at least one resource kind (a class) to subscribe to");
        }
        List<Subscription> subs = new ArrayList<>();
        try {
            for (Class<? extends T> kind : kinds) {
                subs.add(subscribeKind(handler, options, kind));
            }
        } catch (RuntimeException e) {
            subs.forEach(Subscription::unsubscribe);
            throw e;
        }
        return subs.size() == 1 ? subs.get(0) : new CompositeSubscription(subs);
    }

    /** The kind name of {@code type}. */
    public static String kindOf(Class<?> type) {
        ResourceKind k = type.getAnnotation(ResourceKind.class);
        String kind = k != null ? k.value() : type.getSimpleName().toLowerCase(Locale.ROOT);
        if (kind.isEmpty() || !kind.matches("[A-Za-z0-9_-]+")) {
            throw new IllegalArgumentException("resource kind '" + kind + "' of " + type.getName()
                    + " must be letters, digits, '-' or '_'; name it with @ResourceKind(\"...\")");
        }
        return kind;
    }

    /** The topic for events {@code action} (created, updated, deleted) of {@code type}. */
    public static String topicOf(Class<?> type, String action) {
        return Topics.validateTopic(PREFIX + "." + kindOf(type) + "." + action);
    }

    private void publish(Object resource, String action, Object body) {
        Objects.requireNonNull(resource, "resource must not be null");
        String kind = kindOf(resource.getClass());
        Message message;
        if (bus.cloudEventMode().isPresent()) {
            message = bus.toCloudEventMessage(bus.newCloudEvent(PREFIX + "." + kind + "." + action).build(), body,
                    Map.of(RESOURCE_KIND, kind), bus.cloudEventMode().get());
        } else {
            message = bus.toMessage(body, Map.of()).toBuilder()
                    .header(EventBus.EVENT_TYPE, PREFIX + "." + action)
                    .header(RESOURCE_KIND, kind)
                    .build();
        }
        bus.broker().publish(topicOf(resource.getClass(), action), message);
    }

    private <T> Subscription subscribeKind(TypedHandler<ResourceEvent<T>> handler, SubscribeOptions options,
            Class<? extends T> kind) {
        String pattern = PREFIX + "." + kindOf(kind) + ".*";
        Type updateType = new UpdateType(kind);
        return bus.broker().subscribe(pattern, event -> {
            String topic = event.topic();
            String action = topic.substring(topic.lastIndexOf('.') + 1);
            ResourceEvent<T> decoded;
            try {
                switch (action) {
                    case "created":
                        decoded = new ResourceEvent.Created<>(bus.decode(event.message(), kind));
                        break;
                    case "deleted":
                        decoded = new ResourceEvent.Deleted<>(bus.decode(event.message(), kind));
                        break;
                    case "updated":
                        UpdatePayload<T> u = bus.decode(event.message(), updateType);
                        decoded = new ResourceEvent.Updated<>(u.old(), u.current());
                        break;
                    default:
                        throw new CodecException("unknown resource action '" + action + "' in topic '" + topic
                                + "'; expected created, updated or deleted", null);
                }
            } catch (CodecException | InvalidCloudEventException e) {
                bus.poisonOf(event, e, options);
                return;
            }
            handler.handle(decoded, event);
        }, options);
    }

    /** Wire form of an update. */
    record UpdatePayload<T>(@JsonProperty("old") T old,
            @JsonProperty("new") T current) {
    }

    /** {@code UpdatePayload<kind>} for the codec. */
    private static final class UpdateType implements ParameterizedType {
        private final Type argument;

        UpdateType(Type argument) {
            this.argument = argument;
        }

        @Override
        public Type[] getActualTypeArguments() {
            return new Type[] {argument};
        }

        @Override
        public Type getRawType() {
            return UpdatePayload.class;
        }

        @Override
        public Type getOwnerType() {
            return ResourceEvents.class;
        }
    }

    /** Several subscriptions closed as one. */
    private static final class CompositeSubscription implements Subscription {
        private final List<Subscription> parts;

        CompositeSubscription(List<Subscription> parts) {
            this.parts = List.copyOf(parts);
        }

        @Override
        public String topic() {
            return String.join(",", parts.stream().map(Subscription::topic).toList());
        }

        @Override
        public String queue() {
            return parts.get(0).queue();
        }

        @Override
        public boolean isActive() {
            return parts.stream().anyMatch(Subscription::isActive);
        }

        @Override
        public void unsubscribe() {
            parts.forEach(Subscription::unsubscribe);
        }
    }
}
