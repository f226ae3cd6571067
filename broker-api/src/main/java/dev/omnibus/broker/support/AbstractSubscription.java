package dev.omnibus.broker.support;

import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Subscription;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Base for a backend's {@link Subscription}: idempotent, thread-safe close in two steps (stop
 * intake at the broker, then wait for running handlers), removal from its broker, and the
 * subscription's {@link DeliveryRule} ({@link #deliveryRule}).
 */
public abstract class AbstractSubscription implements Subscription {
    private final AbstractBroker broker;
    private final String topic;
    private final SubscribeOptions options;
    private final AtomicBoolean intakeStopped = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The rule {@link #deliveryRule} made, for {@link #toString()}'s diagnostics. */
    private volatile DeliveryRule<?> rule;

    protected AbstractSubscription(AbstractBroker broker, String topic, SubscribeOptions options) {
        this.broker = broker;
        this.topic = topic;
        this.options = options;
    }

    @Override
    public final String topic() {
        return topic;
    }

    @Override
    public final String queue() {
        return options.queue();
    }

    public final SubscribeOptions options() {
        return options;
    }

    /** {@code pattern} or {@code pattern@queue}: how threads and logs name this subscription. */
    public final String name() {
        return options.queue() != null ? topic + "@" + options.queue() : topic;
    }

    /**
     * The shared delivery rule for this subscription (see {@link DeliveryRule}): {@code handler}
     * behind a buffer of {@code capacity}, deliveries settled through {@code backend}'s verbs, dead
     * letters published through this subscription's broker. Call once, from the constructor.
     */
    protected final <H> DeliveryRule<H> deliveryRule(dev.omnibus.broker.Handler handler, int capacity,
            DeliveryRule.Backend<H> backend) {
        DeliveryRule<H> r = new DeliveryRule<>(broker, name(), handler, options, capacity, backend);
        rule = r;
        return r;
    }

    @Override
    public boolean isActive() {
        return !intakeStopped.get();
    }

    @Override
    public final void unsubscribe() {
        stopIntake();
        close(broker.options().shutdownTimeout());
    }

    /**
     * Stops new deliveries to this subscription; idempotent, never blocks on handlers. Public so that
     * a backend's {@code doSubscribe} can abort a half-made subscription (then call
     * {@link #unsubscribe()} or let the exception propagate after releasing what it made).
     */
    public final void stopIntake() {
        if (intakeStopped.compareAndSet(false, true)) {
            doStopIntake();
        }
    }

    /** Waits for running handlers within {@code timeout}, then releases everything; idempotent. */
    final void close(Duration timeout) {
        if (closed.compareAndSet(false, true)) {
            try {
                doClose(timeout);
            } finally {
                broker.forget(this);
            }
        }
    }

    /** Stop receiving from the broker (cancel the consumer, leave the group). Must not block on handlers. */
    protected abstract void doStopIntake();

    /**
     * Wait up to {@code timeout} for running handlers, hand back what was received but not
     * handled, and free resources. After it returns no handler of this subscription runs.
     */
    protected abstract void doClose(Duration timeout);

    @Override
    public String toString() {
        DeliveryRule<?> r = rule;
        return getClass().getSimpleName() + "{topic=" + topic + ", queue=" + options.queue() + ", active=" + isActive()
                + (r != null ? ", " + r.state() : "") + "}";
    }
}
