package dev.omnibus.broker.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import dev.omnibus.broker.Topics;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member's consumer on its group queue, on a channel of its own so that its prefetch is its
 * own. Manual acks; amqp-client recovers the channel, its prefetch and the consumer after a
 * connection loss.
 */
final class GroupConsumer extends DefaultConsumer {
    private static final Logger LOG = LoggerFactory.getLogger(GroupConsumer.class);

    private final Session session;
    private final RabbitMqSubscription subscription;
    private final String queue;
    private volatile String tag;

    private GroupConsumer(Channel channel, Session session, RabbitMqSubscription subscription, String queue) {
        super(channel);
        this.session = session;
        this.subscription = subscription;
        this.queue = queue;
    }

    /** Declares and binds the group queue (if needed) and starts consuming from it. */
    static GroupConsumer start(Session session, RabbitMqSubscription s) throws IOException {
        StaticTopology topology = session.topology;
        String queue = topology.joinGroup(s.queue(), s.topic(), s.options().durable());
        Channel ch = null;
        try {
            ch = session.connection.createChannel();
            ch.basicQos(s.options().prefetch());
            GroupConsumer c = new GroupConsumer(ch, session, s, queue);
            c.tag = ch.basicConsume(queue, false, session.consumerTag(), c);
            return c;
        } catch (IOException | RuntimeException e) {
            topology.leaveGroup(queue);
            if (ch != null) {
                closeQuietly(ch);
            }
            throw e;
        }
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
        LOG.warn("RabbitMQ cancelled the consumer of subscription '{}' on queue '{}' (queue deleted?); it receives nothing"
                + " more until it subscribes again", subscription.name(), queue);
    }

    @Override
    public void handleShutdownSignal(String consumerTag, ShutdownSignalException sig) {
        if (!sig.isHardError() && !sig.isInitiatedByApplication()) {
            LOG.error("Channel of subscription '{}' on queue '{}' was closed by RabbitMQ: {}", subscription.name(), queue,
                    AmqpErrors.text(sig));
        }
    }

    /** Stops deliveries; unacked ones stay with this channel until {@link #close()}. */
    void cancel() {
        try {
            if (getChannel().isOpen() && tag != null) {
                getChannel().basicCancel(tag);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("Cancelling consumer {}: {}", tag, e.toString());
        }
    }

    /** Closes the channel (RabbitMQ requeues what is still unacked) and leaves the group. */
    void close() {
        closeQuietly(getChannel());
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
}
