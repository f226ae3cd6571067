package dev.omnibus.broker;

import dev.omnibus.broker.support.SlowConsumerAlarm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link EventPublisher} of {@link Subscriptions#publisher}: a subscription at the broker with
 * auto-ack off (so that the shared delivery rule bounds what is held unsettled by {@code prefetch},
 * and the backends with broker-side flow control apply it) whose handler waits, on its worker
 * thread, for the subscriber's demand before calling {@code onNext}.
 *
 * <p>Two locks: {@code state} guards the demand and wakes waiting workers; {@code signal} makes the
 * subscriber's signals serial. A terminal signal decided while the current thread is already
 * signalling (a cancel or {@code request(0)} from inside {@code onNext}) is delivered, and the
 * subscription at the broker closed, when the outermost signal returns.
 */
final class DemandPublisher implements EventPublisher {
    private static final Logger LOG = LoggerFactory.getLogger(EventPublisher.class);
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final Flow.Subscription NOTHING = new Flow.Subscription() {
        @Override
        public void request(long n) {
        }

        @Override
        public void cancel() {
        }
    };

    private final String topic;
    private final String queue;
    private final String name;
    private final boolean autoAck;
    private final long limit;
    private final long stallNanos;
    private final SlowConsumerAlarm alarm;

    private final ReentrantLock state = new ReentrantLock();
    private final Condition changed = state.newCondition();
    private long demand;

    private final ReentrantLock signal = new ReentrantLock();
    private final AtomicBoolean attached = new AtomicBoolean();
    private final AtomicBoolean closeAtBroker = new AtomicBoolean();
    private volatile Flow.Subscriber<? super Event> subscriber;
    private volatile boolean stopped;
    private long delivered;
    private Runnable pendingTerminal;
    private volatile Subscription subscription;

    /**
     * @param ackAfterOnNext with auto-ack, ack each event after its onNext returned (false: the
     *                       subscriber settles, e.g. the pull form's auto-ack at the next poll)
     */
    DemandPublisher(Broker broker, String topic, SubscribeOptions options, FlowOptions flow, boolean ackAfterOnNext) {
        this.topic = topic;
        this.queue = options.queue();
        this.name = queue == null ? topic : topic + "@" + queue;
        // where the broker acknowledges, auto-ack is done here so that the delivery rule (and the
        // broker's window) counts an event unsettled until its onNext returned; elsewhere there is
        // nothing to settle and the options go through unchanged
        boolean settleHere = broker.capabilities().contains(Capability.ACKNOWLEDGEMENT);
        this.autoAck = options.autoAck() && ackAfterOnNext && settleHere;
        this.limit = flow.limit();
        this.stallNanos = flow.slowConsumerAfter().toNanos();
        List<SlowConsumerListener> listeners = new ArrayList<>(flow.slowConsumerListeners());
        addListeners(listeners, broker.options().interceptors());
        addListeners(listeners, options.interceptors());
        this.alarm = new SlowConsumerAlarm(broker.name(), topic, queue, options.prefetch(), listeners);
        this.subscription = broker.subscribe(topic, this::gate, settleHere ? options.toBuilder().autoAck(false).build() : options);
    }

    private static void addListeners(List<SlowConsumerListener> into, List<HandlerInterceptor> interceptors) {
        for (HandlerInterceptor i : interceptors) {
            if (i instanceof SlowConsumerListener l && !into.contains(l)) {
                into.add(l);
            }
        }
    }

    @Override
    public void subscribe(Flow.Subscriber<? super Event> s) {
        Objects.requireNonNull(s, "subscriber must not be null (Reactive Streams rule 1.9)");
        if (!attached.compareAndSet(false, true)) {
            reject(s, "the event publisher of '" + name + "' already has its one subscriber; "
                    + "make another with Subscriptions.publisher, or share this one downstream (e.g. Flux.share())");
            return;
        }
        enter();
        try {
            if (stopped) {
                reject(s, "the event publisher of '" + name + "' was unsubscribed; make a new one with Subscriptions.publisher");
                return;
            }
            subscriber = s;
            try {
                s.onSubscribe(new Demand());
            } catch (Throwable t) {
                LOG.error("onSubscribe of {} (subscription '{}') threw, which Reactive Streams rule 2.13 forbids; cancelled", s, name, t);
                stop();
                return;
            }
            if (limit == 0) {
                finish(Flow.Subscriber::onComplete);
            }
        } finally {
            exit();
        }
    }

    private static void reject(Flow.Subscriber<? super Event> s, String why) {
        s.onSubscribe(NOTHING);
        s.onError(new IllegalStateException(why));
    }

    @Override
    public String topic() {
        return topic;
    }

    @Override
    public String queue() {
        return queue;
    }

    @Override
    public boolean isActive() {
        Subscription s = subscription;
        return !stopped && (s == null || s.isActive());
    }

    /** Completes the subscriber (after an {@code onNext} in progress) and unsubscribes at the broker. */
    @Override
    public void unsubscribe() {
        attached.set(true);
        enter();
        try {
            finish(Flow.Subscriber::onComplete);
            stop();
        } finally {
            exit();
        }
    }

    @Override
    public String toString() {
        return "EventPublisher{" + name + (stopped ? ", stopped" : "") + "}";
    }

    // ---------------------------------------------------------------- the worker side

    /** The handler at the broker: waits for demand, then hands {@code e} to the subscriber. */
    private void gate(Event e) {
        if (!awaitDemand()) {
            return; // left unsettled: the unsubscribe that stopped us gives it back
        }
        enter();
        try {
            Flow.Subscriber<? super Event> s = subscriber;
            if (stopped || s == null) {
                return;
            }
            delivered++;
            try {
                s.onNext(e);
            } catch (Throwable t) {
                LOG.error("onNext of {} (subscription '{}') threw, which Reactive Streams rule 2.13 forbids: message {} is nacked "
                        + "and the subscription cancelled", s, name, e.message().id(), t);
                e.nack();
                stop();
                return;
            }
            if (autoAck) {
                e.ack();
            }
            if (delivered >= limit) {
                finish(Flow.Subscriber::onComplete);
            }
        } finally {
            exit();
        }
    }

    /** Takes one unit of demand, waiting for it; false if stopped (or the subscription at the broker ended) first. */
    private boolean awaitDemand() {
        long start = System.nanoTime();
        boolean reported = false;
        state.lock();
        try {
            while (demand == 0) {
                Subscription s = subscription;
                if (stopped || (s != null && !s.isActive())) {
                    return false;
                }
                long waited = System.nanoTime() - start;
                if (!reported && waited >= stallNanos) {
                    reported = true;
                    state.unlock();
                    try {
                        alarm.stalled(Duration.ofNanos(waited));
                    } finally {
                        state.lock();
                    }
                    continue;
                }
                changed.awaitNanos(reported ? POLL_NANOS : Math.min(POLL_NANOS, stallNanos - waited));
            }
            if (stopped) {
                return false;
            }
            if (demand != Long.MAX_VALUE) {
                demand--;
            }
            return true;
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            state.unlock();
        }
    }

    // ---------------------------------------------------------------- signals and stopping

    private void enter() {
        signal.lock();
    }

    /** Leaves a signal: the outermost delivers a pending terminal signal, then closes at the broker if asked. */
    private void exit() {
        try {
            if (signal.getHoldCount() == 1 && pendingTerminal != null) {
                Runnable r = pendingTerminal;
                pendingTerminal = null;
                try {
                    r.run();
                } catch (Throwable t) {
                    LOG.error("A terminal signal of the subscriber of '{}' threw, which Reactive Streams rule 2.13 forbids; ignored", name, t);
                }
            }
        } finally {
            signal.unlock();
        }
        if (!signal.isHeldByCurrentThread() && stopped && closeAtBroker.compareAndSet(true, false)) {
            Subscription s = subscription;
            if (s != null) {
                s.unsubscribe();
            }
        }
    }

    /** Holding the signal lock: ends the stream with {@code terminal} (delivered on exit) unless it ended already. */
    private void finish(java.util.function.Consumer<Flow.Subscriber<? super Event>> terminal) {
        Flow.Subscriber<? super Event> s = subscriber;
        stop();
        if (s != null) {
            pendingTerminal = () -> terminal.accept(s);
        }
    }

    /** No more onNext; the subscriber is forgotten (rule 3.13) and the subscription at the broker is closed on exit. */
    private void stop() {
        subscriber = null;
        if (!stopped) {
            stopped = true;
            closeAtBroker.set(true);
        }
        state.lock();
        try {
            changed.signalAll();
        } finally {
            state.unlock();
        }
    }

    /** The subscriber's handle: its demand and its cancel. */
    private final class Demand implements Flow.Subscription {
        @Override
        public void request(long n) {
            if (n <= 0) {
                enter();
                try {
                    finish(s -> s.onError(new IllegalArgumentException("request(" + n + ") on the event publisher of '" + name
                            + "': Reactive Streams rule 3.9 needs a positive number of events")));
                } finally {
                    exit();
                }
                return;
            }
            if (stopped) {
                return;
            }
            state.lock();
            try {
                demand = Long.MAX_VALUE - demand <= n ? Long.MAX_VALUE : demand + n;
                changed.signalAll();
            } finally {
                state.unlock();
            }
        }

        @Override
        public void cancel() {
            if (stopped) {
                return;
            }
            enter();
            try {
                stop();
            } finally {
                exit();
            }
        }
    }
}
