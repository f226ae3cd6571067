package dev.omnibus.broker.rabbitmq;

import dev.omnibus.broker.BufferFullException;
import dev.omnibus.broker.Handler;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.support.AbstractSubscription;
import dev.omnibus.broker.support.DeadLetters;
import dev.omnibus.broker.support.DeliveryQueue;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A subscription: a {@link DeliveryQueue} in front of the handler, fed by its own consumer on the
 * group queue (queue groups) or by the node's {@link NodeConsumer} (broadcast).
 *
 * <p>Redelivery happens here, in process: a nacked message keeps its AMQP delivery unacked and
 * is handed to the handler again after {@code redeliveryDelay} with the attempt incremented. Only
 * the final outcome goes to RabbitMQ: an ack once handled, dead-lettered (confirmed) or dropped
 * after {@code maxDeliveries}. If the subscription or its node goes away meanwhile, RabbitMQ still
 * holds the message and redelivers it to another member, marked redelivered (attempt 2 or more).
 */
final class RabbitMqSubscription extends AbstractSubscription {
    private static final Logger LOG = LoggerFactory.getLogger(RabbitMqSubscription.class);

    private final RabbitMqBroker broker;
    private final Handler handler;
    private final boolean autoAck;
    private final DeliveryQueue<RabbitMqDelivery> queue;
    private final Set<RabbitMqDelivery> unsettled;
    private final String name;
    private volatile GroupConsumer consumer;

    RabbitMqSubscription(RabbitMqBroker broker, String pattern, Handler handler, SubscribeOptions options, int prefetch) {
        super(broker, pattern, options);
        this.broker = broker;
        this.handler = handler;
        this.autoAck = options.autoAck();
        this.unsettled = autoAck ? null : ConcurrentHashMap.newKeySet();
        this.name = pattern + (options.queue() != null ? "@" + options.queue() : "");
        // RabbitMQ never has more than the prefetch unacked, so the buffer cannot fill (twice: stale deliveries after a recovery)
        int capacity = Math.max(options.bufferSize(), 2 * prefetch);
        this.queue = new DeliveryQueue<>(name, options.concurrency(), capacity, options.overflow(), options.blockTimeout(),
                this::process, d -> d.origin().requeue());
    }

    /** Starts intake; returns once a message published from now on reaches this subscription. */
    void start() throws java.io.IOException {
        if (queue() == null) {
            broker.nodeConsumer().add(this);
        } else {
            consumer = GroupConsumer.start(broker, this);
        }
    }

    String name() {
        return name;
    }

    /** Takes a delivery from RabbitMQ; false (and the origin settled) if this subscription no longer takes any. */
    boolean offer(String topic, Message message, int attempt, Origin origin) {
        boolean taken;
        try {
            taken = queue.offer(new RabbitMqDelivery(this, topic, message, attempt, origin));
        } catch (BufferFullException e) {
            LOG.warn("{}; message {} goes back to RabbitMQ", e.getMessage(), message.id());
            taken = false;
        }
        if (!taken) {
            origin.requeue();
        }
        return taken;
    }

    private void process(RabbitMqDelivery d) {
        if (unsettled != null) {
            unsettled.add(d);
        }
        d.handleWith(handler, autoAck);
    }

    void acked(RabbitMqDelivery d) {
        if (unsettled != null) {
            unsettled.remove(d);
        }
        d.origin().ack();
    }

    void failed(RabbitMqDelivery d, Throwable cause) {
        if (unsettled != null) {
            unsettled.remove(d);
        }
        SubscribeOptions o = options();
        if (d.deliveryAttempt() >= o.maxDeliveries()) {
            deadLetter(d, cause);
        } else if (!isActive()) {
            d.origin().requeue();
        } else {
            scheduleRedelivery(d, o.redeliveryDelay());
        }
    }

    void reply(String replyTo, Message reply) {
        broker.sendReply(replyTo, reply);
    }

    private void scheduleRedelivery(RabbitMqDelivery d, Duration delay) {
        Runnable again = () -> offer(d.topic(), d.message(), d.deliveryAttempt() + 1, d.origin());
        try {
            broker.timer().schedule(again, delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException | dev.omnibus.broker.NotConnectedException e) {
            // the broker is disconnecting: RabbitMQ keeps the message for the next consumer
            d.origin().requeue();
        }
    }

    private void deadLetter(RabbitMqDelivery d, Throwable cause) {
        String dlt = options().deadLetterTopic();
        if (dlt == null) {
            LOG.error("Dropping message {} from topic '{}' after {} failed attempts (no deadLetterTopic set): {}",
                    d.message().id(), d.topic(), d.deliveryAttempt(), DeadLetters.reason(cause));
            d.origin().ack();
            return;
        }
        broker.publishTo(dlt, DeadLetters.of(d.message(), d.topic(), d.deliveryAttempt(), cause)).whenComplete((v, e) -> {
            if (e == null) {
                d.origin().ack();
            } else {
                LOG.error("Could not dead-letter message {} from topic '{}' to '{}' ({}); it goes back to RabbitMQ",
                        d.message().id(), d.topic(), dlt, e.getMessage());
                d.origin().requeue();
            }
        });
    }

    @Override
    protected void doStopIntake() {
        GroupConsumer c = consumer;
        if (c != null) {
            c.cancel();
        } else {
            broker.nodeConsumer().remove(this);
        }
    }

    @Override
    protected void doClose(Duration timeout) {
        for (RabbitMqDelivery d : queue.close(timeout)) {
            d.origin().requeue();
        }
        if (unsettled != null) {
            for (RabbitMqDelivery d : unsettled) {
                if (d.takeBack()) {
                    d.origin().requeue();
                }
            }
            unsettled.clear();
        }
        GroupConsumer c = consumer;
        if (c != null) {
            c.close();
        }
    }
}
