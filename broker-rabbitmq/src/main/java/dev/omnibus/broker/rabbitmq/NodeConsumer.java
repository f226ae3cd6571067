package dev.omnibus.broker.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.support.PendingRequests;
import dev.omnibus.broker.support.TopicIndex;
import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's two static queues at work. The node queue is bound once per distinct pattern of the
 * node's broadcast subscriptions; each message is copied to every local subscription whose pattern
 * matches ({@link TopicIndex}) and acked when every copy is settled. The reply queue feeds
 * {@link PendingRequests}; replies nobody waits for are dropped there with a debug log.
 */
final class NodeConsumer {
    private static final Logger LOG = LoggerFactory.getLogger(NodeConsumer.class);

    private final StaticTopology topology;
    private final PendingRequests pending;
    private final TopicIndex<RabbitMqSubscription> index = new TopicIndex<>();
    private Channel nodeChannel;
    private Channel replyChannel;

    NodeConsumer(StaticTopology topology, PendingRequests pending) {
        this.topology = topology;
        this.pending = pending;
    }

    void start(Connection connection, int prefetch, String nodeTag, String replyTag) throws IOException {
        nodeChannel = connection.createChannel();
        nodeChannel.basicQos(prefetch);
        nodeChannel.basicConsume(topology.nodeQueue, false, nodeTag, new DefaultConsumer(nodeChannel) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
                dispatch(envelope, properties, body);
            }
        });
        replyChannel = connection.createChannel();
        topology.holdSentinel(replyChannel, replyTag + ".sentinel");
        // replies live as long as the node; nothing to gain from acking them
        replyChannel.basicConsume(topology.replyQueue, true, replyTag, new DefaultConsumer(replyChannel) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
                try {
                    Message reply = AmqpCodec.message(properties, body);
                    pending.complete(reply.header(Headers.CORRELATION_ID), reply);
                } catch (RuntimeException e) {
                    LOG.debug("Dropping undecodable reply: {}", e.toString());
                }
            }
        });
    }

    /** Adds a broadcast subscription; its pattern is bound before this returns. */
    void add(RabbitMqSubscription s) throws IOException {
        index.add(s.topic(), s);
        try {
            topology.bindNode(s.topic());
        } catch (IOException | RuntimeException e) {
            index.remove(s.topic(), s);
            throw e;
        }
    }

    void remove(RabbitMqSubscription s) {
        if (index.remove(s.topic(), s)) {
            try {
                topology.unbindNode(s.topic());
            } catch (IOException | RuntimeException e) {
                LOG.debug("Unbinding '{}' from node queue: {}", s.topic(), e.toString());
            }
        }
    }

    private void dispatch(Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
        String topic = envelope.getRoutingKey();
        List<RabbitMqSubscription> subs = index.match(topic);
        FanoutOrigin origin = new FanoutOrigin(nodeChannel, envelope.getDeliveryTag(), Math.max(1, subs.size()));
        if (subs.isEmpty()) {
            // published before an unbind took effect
            origin.ack();
            return;
        }
        Message message;
        try {
            message = AmqpCodec.message(properties, body);
        } catch (RuntimeException e) {
            LOG.error("Dropping undecodable message on topic '{}': {}", topic, e.toString());
            for (int i = 0; i < subs.size(); i++) {
                origin.ack();
            }
            return;
        }
        int attempt = AmqpCodec.attempt(envelope, properties);
        for (RabbitMqSubscription s : subs) {
            s.offer(topic, message, attempt, origin);
        }
    }

    void close() {
        for (Channel ch : new Channel[] {nodeChannel, replyChannel}) {
            try {
                if (ch != null && ch.isOpen()) {
                    ch.close();
                }
            } catch (Exception e) {
                LOG.debug("Closing node channel: {}", e.toString());
            }
        }
    }
}
