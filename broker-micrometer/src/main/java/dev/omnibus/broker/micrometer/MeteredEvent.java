package dev.omnibus.broker.micrometer;

import dev.omnibus.broker.Event;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import java.util.concurrent.atomic.AtomicBoolean;

/** Delegates to the delivery and counts its first settlement, whoever makes it. */
final class MeteredEvent implements Event {
    private final Event delegate;
    private final OmnibusMetrics.SubscriptionMeters meters;
    private final SubscribeOptions options;
    private final AtomicBoolean settled = new AtomicBoolean();

    MeteredEvent(Event delegate, OmnibusMetrics.SubscriptionMeters meters, SubscribeOptions options) {
        this.delegate = delegate;
        this.meters = meters;
        this.options = options;
    }

    @Override
    public String topic() {
        return delegate.topic();
    }

    @Override
    public Message message() {
        return delegate.message();
    }

    @Override
    public int deliveryAttempt() {
        return delegate.deliveryAttempt();
    }

    @Override
    public void ack() {
        recordAck();
        delegate.ack();
    }

    @Override
    public void nack() {
        recordNack(null);
        delegate.nack();
    }

    @Override
    public void reply(Message reply) {
        delegate.reply(reply);
    }

    void recordAck() {
        if (settled.compareAndSet(false, true)) {
            meters.acked().increment();
        }
    }

    /** {@code failure}: what the handler threw, or null for an explicit nack. */
    void recordNack(Throwable failure) {
        if (settled.compareAndSet(false, true)) {
            (failure != null ? meters.nackedByException() : meters.nackedExplicitly()).increment();
            if (!options.retry().retriesAfter(delegate.deliveryAttempt(), failure)) {
                (options.deadLetterTopic() != null ? meters.deadLettered() : meters.dropped()).increment();
            }
        }
    }

    @Override
    public String toString() {
        return delegate.toString();
    }
}
