package dev.omnibus.broker.memory;

import dev.omnibus.broker.Message;
import dev.omnibus.broker.support.AbstractEvent;

/** One delivery of a message to a memory subscription; settles through its subscription. */
final class MemoryDelivery extends AbstractEvent {
    private final MemorySubscription subscription;

    MemoryDelivery(MemorySubscription subscription, String topic, Message message, int attempt) {
        super(topic, message, attempt);
        this.subscription = subscription;
    }

    @Override
    protected void onAck() {
        subscription.settled(this);
    }

    @Override
    protected void onNack(Throwable cause) {
        subscription.settled(this);
        subscription.retry(this, cause);
    }

    @Override
    protected void sendReply(String replyTo, Message reply) {
        subscription.reply(replyTo, reply);
    }

    boolean takeBack() {
        return reclaim();
    }
}
