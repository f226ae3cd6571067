package dev.omnibus.broker.nats;

import dev.omnibus.broker.Message;
import dev.omnibus.broker.support.AbstractEvent;

/**
 * One delivery to a {@link NatsSubscription}: from JetStream (settled with ack/nak on the
 * JetStream message) or from core NATS (settled locally).
 */
final class NatsDelivery extends AbstractEvent {
    private final NatsSubscription subscription;
    private final io.nats.client.Message jetStreamMessage;

    NatsDelivery(NatsSubscription subscription, String topic, Message message, int attempt, io.nats.client.Message jetStreamMessage) {
        super(topic, message, attempt);
        this.subscription = subscription;
        this.jetStreamMessage = jetStreamMessage;
    }

    /** The JetStream message to ack or nak, or null for a core NATS delivery. */
    io.nats.client.Message jetStreamMessage() {
        return jetStreamMessage;
    }

    @Override
    protected void onAck() {
        if (jetStreamMessage != null) {
            jetStreamMessage.ack();
        }
        subscription.settled(this);
    }

    @Override
    protected void onNack(Throwable cause) {
        subscription.failed(this, cause);
    }

    @Override
    protected void sendReply(String replyTo, Message reply) {
        subscription.reply(replyTo, reply);
    }

    boolean takeBack() {
        return reclaim();
    }
}
