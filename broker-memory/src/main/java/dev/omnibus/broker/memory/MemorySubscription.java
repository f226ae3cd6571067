package dev.omnibus.broker.memory;

import dev.omnibus.broker.Handler;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Topics;
import dev.omnibus.broker.support.AbstractSubscription;
import dev.omnibus.broker.support.DeadLetters;
import dev.omnibus.broker.support.DeliveryQueue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A subscription on the memory bus: a {@link DeliveryQueue} in front of the handler, routed
 * directly (broadcast) or through its {@link QueueGroup}. Nacks are redelivered through the bus
 * timer; deliveries left unhandled or unacked when it closes go back to the group.
 */
final class MemorySubscription extends AbstractSubscription implements Route {
    private static final Logger LOG = LoggerFactory.getLogger(MemorySubscription.class);

    private final MemoryBus bus;
    private final Handler handler;
    private final boolean autoAck;
    private final DeliveryQueue<MemoryDelivery> queue;
    private final Set<MemoryDelivery> unacked;
    private volatile QueueGroup group;

    MemorySubscription(MemoryBroker broker, MemoryBus bus, String pattern, Handler handler, SubscribeOptions options,
            int bufferSize) {
        super(broker, pattern, options);
        this.bus = bus;
        this.handler = handler;
        this.autoAck = options.autoAck();
        this.unacked = autoAck ? null : ConcurrentHashMap.newKeySet();
        String name = pattern + (options.queue() != null ? "@" + options.queue() : "");
        this.queue = new DeliveryQueue<>(name, options.concurrency(), bufferSize, options.overflow(), options.blockTimeout(),
                this::process, d -> LOG.debug("Dropped message {} for subscription '{}' (buffer full)", d.message().id(), name));
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

    boolean offer(String topic, Message message, int attempt) {
        return queue.offer(new MemoryDelivery(this, topic, message, attempt));
    }

    boolean tryOffer(String topic, Message message, int attempt) {
        return queue.tryOffer(new MemoryDelivery(this, topic, message, attempt));
    }

    private void process(MemoryDelivery d) {
        if (unacked != null) {
            unacked.add(d);
        }
        d.handleWith(handler, autoAck);
    }

    void settled(MemoryDelivery d) {
        if (unacked != null) {
            unacked.remove(d);
        }
    }

    void retry(MemoryDelivery d, Throwable cause) {
        SubscribeOptions o = options();
        if (d.deliveryAttempt() >= o.maxDeliveries()) {
            deadLetter(d, cause);
            return;
        }
        schedule(d, o.redeliveryDelay());
    }

    void reply(String replyTo, Message reply) {
        Topics.validateTopic(replyTo);
        bus.route(replyTo, reply);
    }

    private void schedule(MemoryDelivery d, Duration delay) {
        Runnable redeliver = () -> redeliver(d.topic(), d.message(), d.deliveryAttempt() + 1);
        try {
            if (delay.isZero()) {
                redeliver.run();
            } else {
                bus.timer.schedule(redeliver, delay.toNanos(), TimeUnit.NANOSECONDS);
            }
        } catch (RejectedExecutionException e) {
            LOG.warn("Message {} on '{}' not redelivered: the memory bus was closed", d.message().id(), d.topic());
        }
    }

    private void redeliver(String topic, Message message, int attempt) {
        QueueGroup g = group;
        try {
            if (g != null) {
                g.deliver(topic, message, attempt);
            } else if (isActive()) {
                offer(topic, message, attempt);
            } else {
                LOG.debug("Message {} on '{}' not redelivered: its broadcast subscription is closed", message.id(), topic);
            }
        } catch (RuntimeException e) {
            LOG.error("Redelivery of message {} on '{}' failed: {}", message.id(), topic, e.toString());
        }
    }

    private void deadLetter(MemoryDelivery d, Throwable cause) {
        String dlt = options().deadLetterTopic();
        if (dlt == null) {
            LOG.error("Dropping message {} from topic '{}' after {} failed attempts (no deadLetterTopic set): {}",
                    d.message().id(), d.topic(), d.deliveryAttempt(), DeadLetters.reason(cause));
            return;
        }
        try {
            bus.route(dlt, DeadLetters.of(d.message(), d.topic(), d.deliveryAttempt(), cause));
        } catch (RuntimeException e) {
            LOG.error("Could not dead-letter message {} from topic '{}' to '{}': {}", d.message().id(), d.topic(), dlt, e.toString());
        }
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
        List<MemoryDelivery> giveBack = new ArrayList<>(queue.close(timeout));
        if (unacked != null) {
            for (MemoryDelivery d : unacked) {
                if (d.takeBack()) {
                    giveBack.add(new MemoryDelivery(this, d.topic(), d.message(), d.deliveryAttempt() + 1));
                }
            }
            unacked.clear();
        }
        QueueGroup g = group;
        for (MemoryDelivery d : giveBack) {
            if (g != null) {
                g.deliver(d.topic(), d.message(), d.deliveryAttempt());
            } else {
                LOG.debug("Message {} on '{}' dropped: its broadcast subscription closed before handling it", d.message().id(), d.topic());
            }
        }
        if (g != null) {
            bus.release(g);
        }
    }
}
