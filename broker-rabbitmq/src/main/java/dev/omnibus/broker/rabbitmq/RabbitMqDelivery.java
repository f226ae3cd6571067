package dev.omnibus.broker.rabbitmq;

import dev.omnibus.broker.Message;
import dev.omnibus.broker.support.AbstractEvent;

/** One delivery attempt of a message to a subscription; settles through its subscription and AMQP {@link Origin}. */
final class RabbitMqDelivery extends AbstractEvent {
    private final RabbitMqSubscription subscription;
    private final Origin origin;

    RabbitMqDelivery(RabbitMqSubscription subscription, String topic, Message message, int attempt, Origin origin) {
        super(topic, message, attempt);
        this.subscription = subscription;
        this.origin = origin;
    }

    Origin origin() {
        return origin;
    }

    @Override
    protected void onAck() {
        subscription.acked(this);
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
