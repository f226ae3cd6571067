package dev.omnibus.broker;

/**
 * Told each time a demand-driven subscription stalls: a message waited for the subscriber's
 * demand longer than {@link FlowOptions#slowConsumerAfter()} (see {@link SlowConsumer}).
 *
 * <p>Register one with {@link FlowOptions.Builder#slowConsumerListener}, or let a
 * {@link HandlerInterceptor} registered on the broker or the subscription also implement this
 * interface: it is then told too (this is how {@code OmnibusMetrics} counts stalls). Called on the
 * handler thread of the subscription (from the broker's handler pool), once per stalled message; it must return quickly and should not
 * throw (what it throws is logged and ignored).
 */
@FunctionalInterface
public interface SlowConsumerListener {
    void onSlowConsumer(SlowConsumer stall);
}
