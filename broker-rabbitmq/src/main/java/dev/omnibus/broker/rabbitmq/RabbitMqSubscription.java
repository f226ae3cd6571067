package dev.omnibus.broker.rabbitmq;

import dev.omnibus.broker.Handler;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.support.AbstractBroker;
import dev.omnibus.broker.support.AbstractSubscription;
import dev.omnibus.broker.support.Delivery;
import dev.omnibus.broker.support.DeliveryRule;
import java.io.IOException;
import java.time.Duration;

/**
 * A subscription, fed by its own consumer on the group queue (queue groups) or by the node's
 * {@link NodeConsumer} (broadcast), on the {@link Session} it was made on. The shared
 * {@link DeliveryRule} decides; the verbs here:
 *
 * <ul>
 *   <li>redeliver: in process, after the retry policy's delay, while the AMQP delivery stays
 *       unacked, so RabbitMQ still holds the message if this process goes away meanwhile;
 *   <li>settle (handled, dead-lettered or dropped): ack;
 *   <li>give back: requeue, so RabbitMQ hands it to another member, marked redelivered.
 * </ul>
 */
final class RabbitMqSubscription extends AbstractSubscription implements DeliveryRule.Backend<Origin> {
    private final Session session;
    private final DeliveryRule<Origin> rule;
    private volatile GroupConsumer consumer;

    RabbitMqSubscription(AbstractBroker broker, Session session, String pattern, Handler handler, SubscribeOptions options,
            int prefetch) {
        super(broker, pattern, options);
        this.session = session;
        // RabbitMQ never has more than the prefetch unacked, so the buffer cannot fill (twice: stale deliveries after a recovery)
        int capacity = Math.max(options.bufferSize(), 2 * prefetch);
        this.rule = deliveryRule(handler, capacity, this);
    }

    /** Starts intake; returns once a message published from now on reaches this subscription. */
    void start() throws IOException {
        if (queue() == null) {
            session.node.add(this);
        } else {
            consumer = GroupConsumer.start(session, this);
            session.addGroup(consumer);
        }
    }

    /** Takes a delivery from RabbitMQ; false (and the origin requeued) if this subscription no longer takes any. */
    boolean offer(String topic, Message message, int attempt, Origin origin) {
        return rule.offer(topic, message, attempt, origin);
    }

    @Override
    public void redeliver(Delivery<Origin> d, Duration delay) {
        rule.retryLater(d, delay, session.timer);
    }

    @Override
    public void settle(Delivery<Origin> d, DeliveryRule.Outcome outcome) {
        d.handle().ack();
    }

    @Override
    public void giveBack(Delivery<Origin> d, boolean started) {
        d.handle().requeue();
    }

    @Override
    public void reply(String replyTo, Message reply) {
        session.sendReply(replyTo, reply);
    }

    @Override
    protected void doStopIntake() {
        GroupConsumer c = consumer;
        if (c != null) {
            c.cancel();
        } else {
            session.node.remove(this);
        }
    }

    @Override
    protected void doClose(Duration timeout) {
        rule.close(timeout);
        GroupConsumer c = consumer;
        if (c != null) {
            c.close();
            session.removeGroup(c);
        }
    }

    /** Why this subscription receives nothing now (RabbitMQ cancelled its consumer and it waits to re-subscribe), or null. */
    String waitingFor() {
        GroupConsumer c = consumer;
        return c != null ? c.waitingFor() : null;
    }

    @Override
    public String toString() {
        String why = waitingFor();
        return why == null ? super.toString() : super.toString() + " waiting: " + why;
    }
}
