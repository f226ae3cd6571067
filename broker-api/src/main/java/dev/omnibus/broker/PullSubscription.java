package dev.omnibus.broker;

import java.time.Duration;
import java.util.Iterator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A subscription read by blocking calls, for simple consumers and tests; made by
 * {@link Subscriptions#pull}. It asks the broker for one message per {@link #poll} (through an
 * {@link EventPublisher}), so the same bound holds: at most {@code prefetch} messages are taken
 * from the broker and unsettled at once, and at most one waits in the JVM for the next poll.
 *
 * <p>With auto-ack the event a poll returned is acked when the next poll (or {@code next()}) is
 * called, or on unsubscribe: the consumer is done with it then. With auto-ack off the caller
 * acks or nacks. {@link #unsubscribe()} gives back what was not returned. Meant for one consuming
 * thread; concurrent calls are served one after the other.
 */
public interface PullSubscription extends Subscription, Iterable<Event> {
    /**
     * The next event, waiting up to {@code timeout}; empty when none came in time or the
     * subscription ended.
     *
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    Optional<Event> poll(Duration timeout);

    /**
     * A blocking iterator: {@code hasNext()} waits until an event comes (true) or the
     * subscription ends (false).
     */
    @Override
    Iterator<Event> iterator();

    /** The events as a sequential stream over {@link #iterator()}; closing the stream unsubscribes. */
    Stream<Event> stream();
}
