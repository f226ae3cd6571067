package dev.omnibus.broker.memory;

import dev.omnibus.broker.Handler;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Topics;
import dev.omnibus.broker.support.AbstractSubscription;
import dev.omnibus.broker.support.Delivery;
import dev.omnibus.broker.support.DeliveryRule;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A subscription on the memory bus, routed directly (broadcast) or through its {@link QueueGroup}.
 * The shared {@link DeliveryRule} decides; the verbs here: a retry goes back through the group (any
 * member may take it) or to this subscription, on the bus timer; what a member gives back goes to
 * its group, and a broadcast subscription drops it.
 */
final class MemorySubscription extends AbstractSubscription implements Route, DeliveryRule.Backend<Void> {
    private static final Logger LOG = LoggerFactory.getLogger(MemorySubscription.class);

    private final MemoryBus bus;
    private final DeliveryRule<Void> rule;
    private volatile QueueGroup group;

    MemorySubscription(MemoryBroker broker, MemoryBus bus, String pattern, Handler handler, SubscribeOptions options,
            int bufferSize) {
        super(broker, pattern, options);
        this.bus = bus;
        this.rule = deliveryRule(handler, bufferSize, this);
    }

    void start() {
        if (queue() == null) {
            bus.index.add(topic(), this);
        } else {
            group = bus.join(topic(), queue(), this);
        }
    }

    @Override
    public void deliver(String topic, Message message, int attempt) {
        offer(topic, message, attempt);
    }

    /** Under the overflow policy; false if closing. A full buffer under FAIL / BLOCK throws to the publisher. */
    boolean offer(String topic, Message message, int attempt) {
        return rule.take(topic, message, attempt, null);
    }

    boolean tryOffer(String topic, Message message, int attempt) {
        return rule.tryTake(topic, message, attempt, null);
    }

    /** On the bus timer, never inline on the worker: to the group (any member with room), or to this broadcast subscription. */
    @Override
    public void redeliver(Delivery<Void> d, Duration delay) {
        QueueGroup g = group;
        if (g == null) {
            rule.retryLater(d, delay, bus.timer);
            return;
        }
        try {
            bus.timer.schedule(() -> g.handBack(d.topic(), d.message(), d.deliveryAttempt() + 1), delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            LOG.warn("Message {} on '{}' not redelivered: the memory bus was closed", d.message().id(), d.topic());
        }
    }

    @Override
    public void settle(Delivery<Void> d, DeliveryRule.Outcome outcome) {
        // nothing is held anywhere else
    }

    @Override
    public void giveBack(Delivery<Void> d, boolean started) {
        QueueGroup g = group;
        if (g != null && !isActive()) {
            g.handBack(d.topic(), d.message(), started ? d.deliveryAttempt() + 1 : d.deliveryAttempt());
        } else {
            LOG.debug("Message {} on '{}' dropped: subscription '{}' closed before handling it, or its buffer was full",
                    d.message().id(), d.topic(), name());
        }
    }

    @Override
    public void reply(String replyTo, Message reply) {
        Topics.validateTopic(replyTo);
        bus.route(replyTo, reply);
    }

    @Override
    protected void doStopIntake() {
        QueueGroup g = group;
        if (g != null) {
            bus.leave(g, this);
        } else {
            bus.index.remove(topic(), this);
        }
    }

    @Override
    protected void doClose(Duration timeout) {
        rule.close(timeout);
        QueueGroup g = group;
        if (g != null) {
            bus.release(g);
        }
    }
}
