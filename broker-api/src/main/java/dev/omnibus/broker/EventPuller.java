package dev.omnibus.broker;

import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The {@link PullSubscription} of {@link Subscriptions#pull}: a {@link DemandPublisher} (not acking after onNext)
 * whose subscriber requests one event per poll that finds none waiting, so at most one event waits
 * here for the next poll. Auto-ack, when asked for, is done here: the event a poll returned is
 * acked at the next poll or on unsubscribe.
 */
final class EventPuller implements PullSubscription {
    private static final Duration ITERATOR_POLL = Duration.ofMillis(100);
    /** Marks the end of the stream in {@link #arrived}; never returned. */
    private static final Event END = new Event() {
        @Override
        public String topic() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Message message() {
            throw new UnsupportedOperationException();
        }

        @Override
        public int deliveryAttempt() {
            return 0;
        }

        @Override
        public void ack() {
        }

        @Override
        public void nack() {
        }

        @Override
        public void reply(Message reply) {
            throw new UnsupportedOperationException();
        }
    };

    private final boolean autoAck;
    private final DemandPublisher publisher;
    private final LinkedBlockingQueue<Event> arrived = new LinkedBlockingQueue<>();
    private final AtomicReference<Event> last = new AtomicReference<>();
    private volatile Flow.Subscription demand;
    private volatile boolean ended;
    private boolean requested;

    EventPuller(Broker broker, String topic, SubscribeOptions options, FlowOptions flow) {
        this.autoAck = options.autoAck();
        this.publisher = new DemandPublisher(broker, topic, options, flow, false);
        publisher.subscribe(new Flow.Subscriber<Event>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                demand = s;
            }

            @Override
            public void onNext(Event e) {
                arrived.add(e);
            }

            @Override
            public void onError(Throwable t) {
                end();
            }

            @Override
            public void onComplete() {
                end();
            }
        });
    }

    private void end() {
        ended = true;
        arrived.add(END);
    }

    @Override
    public synchronized Optional<Event> poll(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout must not be null");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("poll timeout must not be negative, was " + timeout);
        }
        settleLast();
        Event e = arrived.poll();
        if (e == null) {
            if (!requested && !ended) {
                requested = true;
                demand.request(1);
            }
            try {
                e = arrived.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
        if (e == null) {
            return Optional.empty();
        }
        if (e == END) {
            arrived.add(END);
            return Optional.empty();
        }
        requested = false;
        last.set(e);
        return Optional.of(e);
    }

    private void settleLast() {
        Event e = last.getAndSet(null);
        if (autoAck && e != null) {
            e.ack();
        }
    }

    @Override
    public Iterator<Event> iterator() {
        return new Iterator<>() {
            private Event next;

            @Override
            public boolean hasNext() {
                while (next == null) {
                    Optional<Event> e = poll(ITERATOR_POLL);
                    if (e.isPresent()) {
                        next = e.get();
                    } else if (!isActive()) {
                        return false;
                    }
                }
                return true;
            }

            @Override
            public Event next() {
                if (!hasNext()) {
                    throw new NoSuchElementException("the pull subscription to '" + topic() + "' ended");
                }
                Event e = next;
                next = null;
                return e;
            }
        };
    }

    @Override
    public Stream<Event> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator(), Spliterator.ORDERED | Spliterator.NONNULL), false)
                .onClose(this::unsubscribe);
    }

    @Override
    public String topic() {
        return publisher.topic();
    }

    @Override
    public String queue() {
        return publisher.queue();
    }

    @Override
    public boolean isActive() {
        return !ended && publisher.isActive();
    }

    /** Acks the last event returned (with auto-ack), then gives back what was not returned. */
    @Override
    public void unsubscribe() {
        settleLast();
        ended = true;
        publisher.unsubscribe();
        arrived.add(END);
    }

    @Override
    public String toString() {
        return "PullSubscription{" + publisher + "}";
    }
}
