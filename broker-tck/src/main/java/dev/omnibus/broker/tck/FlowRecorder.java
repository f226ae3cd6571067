package dev.omnibus.broker.tck;

import dev.omnibus.broker.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link Flow.Subscriber} of events for tests: records what it gets, its errors and completion,
 * and requests only what it is told to (at subscribe, or later with {@link #request}). Thread-safe.
 */
public final class FlowRecorder implements Flow.Subscriber<Event> {
    /** The subscription, once {@link #onSubscribe} was called. */
    public final AtomicReference<Flow.Subscription> subscription = new AtomicReference<>();
    /** What arrived, in order. */
    public final List<Event> events = new CopyOnWriteArrayList<>();
    /** The errors signalled. */
    public final List<Throwable> errors = new CopyOnWriteArrayList<>();
    /** Whether completion was signalled. */
    public final AtomicBoolean completed = new AtomicBoolean();
    private final long initialDemand;

    /** Requests nothing until told. */
    public FlowRecorder() {
        this(0);
    }

    /** Requests {@code initialDemand} events as soon as it is subscribed (0: none). */
    public FlowRecorder(long initialDemand) {
        this.initialDemand = initialDemand;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription.set(s);
        if (initialDemand > 0) {
            s.request(initialDemand);
        }
    }

    @Override
    public void onNext(Event e) {
        events.add(e);
    }

    @Override
    public void onError(Throwable t) {
        errors.add(t);
    }

    @Override
    public void onComplete() {
        completed.set(true);
    }

    /** Requests {@code n} more. */
    public void request(long n) {
        subscription.get().request(n);
    }

    /** Cancels the subscription. */
    public void cancel() {
        subscription.get().cancel();
    }

    /** The ids of what arrived, in order. */
    public List<String> ids() {
        List<String> ids = new ArrayList<>();
        events.forEach(e -> ids.add(e.message().id()));
        return ids;
    }
}
