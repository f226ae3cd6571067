package dev.omnibus.broker.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import dev.omnibus.broker.Topics;
import java.io.IOException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member's consumer on its group queue, on a channel of its own so that its prefetch is its
 * own. Manual acks; amqp-client recovers the channel, its prefetch and the consumer after a
 * connection loss.
 *
 * <p>What amqp-client does not recover is a consumer the server took away while the connection
 * stayed up: RabbitMQ cancels it (basic.cancel) when the queue's node goes down or the queue is
 * deleted, or a channel error closes its channel (a queue declaration refused during a recovery:
 * {@code NOT_FOUND - home node ... is down}). Then the member is <em>waiting</em>: one warning,
 * {@code health()} says RECONNECTING with the reason, and it declares, binds and consumes again on
 * a fresh channel, with backoff (from {@code recoveryInterval}, doubling, at most 30 s), until the
 * queue is back.
 */
final class GroupConsumer {
    private static final Logger LOG = LoggerFactory.getLogger(GroupConsumer.class);
    private static final long MAX_BACKOFF_MILLIS = 30_000;

    private final Session session;
    private final RabbitMqSubscription subscription;
    private final String queue;
    private final Object lock = new Object();
    private volatile Intake intake;
    private volatile String waitingFor;
    private volatile boolean closed;
    private int retries;

    private GroupConsumer(Session session, RabbitMqSubscription subscription, String queue) {
        this.session = session;
        this.subscription = subscription;
        this.queue = queue;
    }

    /** Declares and binds the group queue (if needed) and starts consuming from it. */
    static GroupConsumer start(Session session, RabbitMqSubscription s) throws IOException {
        StaticTopology topology = session.topology;
        String queue = topology.joinGroup(s.queue(), s.topic(), s.options().durable());
        GroupConsumer c = new GroupConsumer(session, s, queue);
        Channel ch = null;
        try {
            ch = session.connection.createChannel();
            ch.basicQos(s.options().prefetch());
            c.consume(ch);
            return c;
        } catch (IOException | RuntimeException e) {
            topology.leaveGroup(queue);
            if (ch != null) {
                closeQuietly(ch);
            }
            throw e;
        }
    }

    private void consume(Channel ch) throws IOException {
        Intake i = new Intake(ch);
        intake = i;
        i.tag = ch.basicConsume(queue, false, session.consumerTag(), i);
    }

    /** The reason this member receives nothing while it waits to consume again, or null when it consumes. */
    String waitingFor() {
        return waitingFor;
    }

    String queue() {
        return queue;
    }

    /** After a connection recovery: a consumer whose channel did not come back is lost too. */
    void checkRecovered() {
        Intake i = intake;
        if (!closed && i != null && !i.getChannel().isOpen()) {
            lost(i, "its channel was not recovered with the connection");
        }
    }

    // the server took the consumer away: wait (one warning) and consume again with backoff
    private void lost(Intake from, String why) {
        synchronized (lock) {
            if (closed || from != intake || waitingFor != null) {
                return;
            }
            waitingFor = "RabbitMQ cancelled the consumer of subscription '" + subscription.name() + "' on queue '" + queue
                    + "' (" + why + ")";
            retries = 0;
        }
        session.topology.retireConsumer(from.tag);
        LOG.warn("{}; it receives nothing until the queue is available again, re-subscribing every {} ms or more", waitingFor,
                session.settings.recoveryInterval.toMillis());
        session.groupWaiting(this);
        schedule();
    }

    private void schedule() {
        long base = Math.max(100, session.settings.recoveryInterval.toMillis());
        long delay = Math.min(MAX_BACKOFF_MILLIS, base << Math.min(retries, 10));
        try {
            session.timer.schedule(() -> session.retries.execute(this::resubscribe), delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // the session is closing
        }
    }

    private void resubscribe() {
        synchronized (lock) {
            if (closed || waitingFor == null) {
                return;
            }
            retries++;
        }
        if (!session.gate.isOpen()) {
            // amqp-client is recovering the connection; try again after it
            schedule();
            return;
        }
        Channel old = intake.getChannel();
        Channel ch = null;
        try {
            ch = session.connection.createChannel();
            ch.basicQos(subscription.options().prefetch());
            if (!session.topology.redeclareGroup(ch, queue)) {
                closeQuietly(ch);
                return;
            }
            synchronized (lock) {
                if (closed) {
                    closeQuietly(ch);
                    return;
                }
                consume(ch);
                waitingFor = null;
            }
            LOG.warn("Subscription '{}' consumes from queue '{}' again after {} attempt(s)", subscription.name(), queue, retries);
            session.groupResumed(this);
            // deliveries still unacked on the old channel go back to the queue with it
            closeQuietly(old);
        } catch (IOException | RuntimeException e) {
            LOG.debug("Re-subscribing '{}' to queue '{}' failed (attempt {}): {}", subscription.name(), queue, retries,
                    AmqpErrors.text(e));
            if (ch != null) {
                closeQuietly(ch);
            }
            schedule();
        }
    }

    /** Stops deliveries; unacked ones stay with this channel until {@link #close()}. */
    void cancel() {
        Intake i;
        synchronized (lock) {
            closed = true;
            i = intake;
        }
        session.groupResumed(this);
        try {
            if (i != null && i.getChannel().isOpen() && i.tag != null) {
                i.getChannel().basicCancel(i.tag);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("Cancelling consumer {}: {}", i.tag, e.toString());
        }
    }

    /** Closes the channel (RabbitMQ requeues what is still unacked) and leaves the group. */
    void close() {
        synchronized (lock) {
            closed = true;
        }
        session.groupResumed(this);
        Intake i = intake;
        if (i != null) {
            closeQuietly(i.getChannel());
        }
        session.topology.leaveGroup(queue);
    }

    private static void closeQuietly(Channel ch) {
        try {
            if (ch.isOpen()) {
                ch.close();
            }
        } catch (Exception e) {
            LOG.debug("Closing channel: {}", e.toString());
        }
    }

    /** The amqp-client consumer on one channel. */
    private final class Intake extends DefaultConsumer {
        volatile String tag;

        Intake(Channel channel) {
            super(channel);
            channel.addShutdownListener(sig -> {
                // a channel error (not the connection, which amqp-client recovers; not our own close)
                if (!sig.isHardError() && !sig.isInitiatedByApplication()) {
                    lost(this, "its channel was closed: " + AmqpErrors.text(sig));
                }
            });
        }

        @Override
        public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
            String topic = envelope.getRoutingKey();
            QueueOrigin origin = new QueueOrigin(getChannel(), envelope.getDeliveryTag());
            // a literal '#' token in a pattern is a wildcard to RabbitMQ: keep exactly what the pattern matches
            if (!Topics.matches(subscription.topic(), topic)) {
                origin.ack();
                return;
            }
            try {
                subscription.offer(topic, AmqpCodec.message(properties, body), AmqpCodec.attempt(envelope, properties), origin);
            } catch (RuntimeException e) {
                LOG.error("Rejecting undecodable message on queue '{}' (topic '{}'): {}", queue, topic, e.toString());
                try {
                    getChannel().basicReject(envelope.getDeliveryTag(), false);
                } catch (IOException | RuntimeException ignored) {
                    // the channel is gone; RabbitMQ keeps the message
                }
            }
        }

        @Override
        public void handleCancel(String consumerTag) {
            lost(this, "queue deleted, or its node down or failing over");
        }

        @Override
        public void handleShutdownSignal(String consumerTag, ShutdownSignalException sig) {
            if (!sig.isHardError() && !sig.isInitiatedByApplication()) {
                LOG.error("Channel of subscription '{}' on queue '{}' was closed by RabbitMQ: {}", subscription.name(), queue,
                        AmqpErrors.text(sig));
            }
        }
    }
}
