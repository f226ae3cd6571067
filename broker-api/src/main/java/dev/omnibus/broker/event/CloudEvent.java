package dev.omnibus.broker.event;

import java.util.Objects;

/**
 * A received (or to be sent) CloudEvent: its attributes and its data decoded as {@code T}.
 *
 * @param attributes the context attributes, never null
 * @param data the data decoded by the bus's {@link Codec}; null when the event has no data
 * @param <T> the data type
 */
public record CloudEvent<T>(CloudEventAttributes attributes, T data) {
    public CloudEvent {
        Objects.requireNonNull(attributes, "attributes must not be null");
    }
}
