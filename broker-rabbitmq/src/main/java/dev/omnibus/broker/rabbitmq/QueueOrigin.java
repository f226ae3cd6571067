package dev.omnibus.broker.rabbitmq;

import com.rabbitmq.client.Channel;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A delivery from a group queue to one consumer channel: ack or requeue it once. If the channel
 * is gone, RabbitMQ has already requeued the message, so a failing settle is only logged.
 */
final class QueueOrigin implements Origin {
    private static final Logger LOG = LoggerFactory.getLogger(QueueOrigin.class);

    private final Channel channel;
    private final long tag;
    private final AtomicBoolean settled = new AtomicBoolean();

    QueueOrigin(Channel channel, long tag) {
        this.channel = channel;
        this.tag = tag;
    }

    @Override
    public void ack() {
        if (settled.compareAndSet(false, true)) {
            try {
                channel.basicAck(tag, false);
            } catch (Exception e) {
                LOG.debug("Could not ack delivery {} (RabbitMQ requeues it with the channel): {}", tag, e.toString());
            }
        }
    }

    @Override
    public void requeue() {
        if (settled.compareAndSet(false, true)) {
            try {
                channel.basicNack(tag, false, true);
            } catch (Exception e) {
                LOG.debug("Could not requeue delivery {} (RabbitMQ requeues it with the channel): {}", tag, e.toString());
            }
        }
    }
}
