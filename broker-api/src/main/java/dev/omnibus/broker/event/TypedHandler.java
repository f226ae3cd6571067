package dev.omnibus.broker.event;

import dev.omnibus.broker.Event;

/**
 * Handles a decoded value together with its delivery (for headers, ack/nack and reply). The
 * auto-ack rules of {@link dev.omnibus.broker.Handler} apply.
 *
 * @param <T> the decoded type
 */
@FunctionalInterface
public interface TypedHandler<T> {
    void handle(T value, Event event) throws Exception;
}
