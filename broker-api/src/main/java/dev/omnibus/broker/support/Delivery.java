package dev.omnibus.broker.support;

import dev.omnibus.broker.Message;

/**
 * One delivery attempt of a message to a subscription, settled through the subscription's
 * {@link DeliveryRule}: an ack, a nack or a failed handler goes to the rule, which decides and
 * calls the backend's {@link DeliveryRule.Backend verbs}. Backends do not subclass it; what they
 * need to settle the message at their broker travels as the {@link #handle()}.
 *
 * @param <H> the backend's handle type (a JetStream message, an AMQP delivery; {@link Void} for none)
 */
public final class Delivery<H> extends AbstractEvent {
    private final DeliveryRule<H> rule;
    private final H handle;

    Delivery(DeliveryRule<H> rule, String topic, Message message, int attempt, H handle) {
        super(topic, message, attempt);
        this.rule = rule;
        this.handle = handle;
    }

    /** What the backend settles this delivery with at its broker, or null where there is nothing to settle. */
    public H handle() {
        return handle;
    }

    @Override
    protected void onAck() {
        rule.acked(this);
    }

    @Override
    protected void onNack(Throwable cause) {
        rule.failed(this, cause);
    }

    @Override
    protected void sendReply(String replyTo, Message reply) {
        rule.reply(replyTo, reply);
    }

    /** Claims an unsettled delivery for hand-back; false if the handler settled it first. */
    boolean takeBack() {
        return reclaim();
    }
}
