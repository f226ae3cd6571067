package dev.omnibus.broker;

import java.util.Objects;

/**
 * Demand-driven forms of {@link Broker#subscribe}: a {@link java.util.concurrent.Flow.Publisher}
 * ({@link #publisher}) and a blocking pull ({@link #pull}). Built only on {@code Broker.subscribe}
 * and {@link SubscribeOptions}, so every backend has them; see {@link EventPublisher} for what
 * they promise.
 */
public final class Subscriptions {
    private Subscriptions() {
    }

    /**
     * Subscribes to {@code topic} at once (a message published after this returns is kept for
     * the subscriber) and returns the publisher its one {@link java.util.concurrent.Flow.Subscriber}
     * pulls from. Options as for {@link Broker#subscribe}; {@code prefetch} bounds what is taken
     * from the broker ahead of demand.
     */
    public static EventPublisher publisher(Broker broker, String topic, SubscribeOptions options) {
        return publisher(broker, topic, options, FlowOptions.defaults());
    }

    /** As {@link #publisher(Broker, String, SubscribeOptions)}, with a limit and stall reporting from {@code flow}. */
    public static EventPublisher publisher(Broker broker, String topic, SubscribeOptions options, FlowOptions flow) {
        check(broker, topic, options, flow);
        return new DemandPublisher(broker, topic, options, flow, true);
    }

    /** Subscribes to {@code topic} at once for reading with {@link PullSubscription#poll}. */
    public static PullSubscription pull(Broker broker, String topic, SubscribeOptions options) {
        return pull(broker, topic, options, FlowOptions.defaults());
    }

    /** As {@link #pull(Broker, String, SubscribeOptions)}, with a limit and stall reporting from {@code flow}. */
    public static PullSubscription pull(Broker broker, String topic, SubscribeOptions options, FlowOptions flow) {
        check(broker, topic, options, flow);
        return new EventPuller(broker, topic, options, flow);
    }

    private static void check(Broker broker, String topic, SubscribeOptions options, FlowOptions flow) {
        Objects.requireNonNull(broker, "broker must not be null");
        Objects.requireNonNull(topic, "topic must not be null");
        Objects.requireNonNull(options, "options must not be null; use SubscribeOptions.defaults()");
        Objects.requireNonNull(flow, "flow options must not be null; use FlowOptions.defaults()");
    }
}
