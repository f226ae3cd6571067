package dev.omnibus.broker.rabbitmq;

import com.rabbitmq.client.Channel;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A delivery from the node queue copied to several local broadcast subscriptions: acked once
 * every copy is settled. A copy is never requeued, since that would deliver the message again to
 * the subscriptions that already handled it; an unfinished broadcast copy is dropped, as on
 * every backend.
 */
final class FanoutOrigin implements Origin {
    private static final Logger LOG = LoggerFactory.getLogger(FanoutOrigin.class);

    private final Channel channel;
    private final long tag;
    private final AtomicInteger remaining;

    FanoutOrigin(Channel channel, long tag, int copies) {
        this.channel = channel;
        this.tag = tag;
        this.remaining = new AtomicInteger(copies);
    }

    @Override
    public void ack() {
        if (remaining.decrementAndGet() == 0) {
            try {
                channel.basicAck(tag, false);
            } catch (Exception e) {
                LOG.debug("Could not ack node delivery {}: {}", tag, e.toString());
            }
        }
    }

    @Override
    public void requeue() {
        ack();
    }
}
