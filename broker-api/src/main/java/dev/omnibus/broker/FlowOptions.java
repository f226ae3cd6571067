package dev.omnibus.broker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a demand-driven subscription ({@link Subscriptions#publisher}, {@link Subscriptions#pull})
 * adds to its {@link SubscribeOptions}. Immutable; build with {@link #builder()}. Values are
 * validated in {@link Builder#build()} with the offending value in the message.
 */
public final class FlowOptions {
    /** No limit: the stream ends only when cancelled or unsubscribed. */
    public static final long UNLIMITED = Long.MAX_VALUE;
    public static final Duration DEFAULT_SLOW_CONSUMER_AFTER = Duration.ofSeconds(1);

    private static final FlowOptions DEFAULTS = builder().build();

    private final long limit;
    private final Duration slowConsumerAfter;
    private final List<SlowConsumerListener> listeners;

    private FlowOptions(Builder b) {
        this.limit = b.limit;
        this.slowConsumerAfter = b.slowConsumerAfter;
        this.listeners = List.copyOf(b.listeners);
    }

    /** No limit, stalls reported after {@link #DEFAULT_SLOW_CONSUMER_AFTER}, no extra listener. */
    public static FlowOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Events handed to the subscriber after which the stream completes and unsubscribes (the rest
     * goes back to the broker, as on unsubscribe); {@link #UNLIMITED} by default.
     */
    public long limit() {
        return limit;
    }

    /** How long a message may wait for demand before the stall is reported (warning, listeners). */
    public Duration slowConsumerAfter() {
        return slowConsumerAfter;
    }

    /** Listeners told of stalls, besides the interceptors that implement {@link SlowConsumerListener}. */
    public List<SlowConsumerListener> slowConsumerListeners() {
        return listeners;
    }

    @Override
    public String toString() {
        return "FlowOptions{limit=" + (limit == UNLIMITED ? "unlimited" : limit) + ", slowConsumerAfter=" + slowConsumerAfter
                + (listeners.isEmpty() ? "" : ", listeners=" + listeners.size()) + "}";
    }

    /** Builds {@link FlowOptions}. */
    public static final class Builder {
        private long limit = UNLIMITED;
        private Duration slowConsumerAfter = DEFAULT_SLOW_CONSUMER_AFTER;
        private final List<SlowConsumerListener> listeners = new ArrayList<>();

        private Builder() {
        }

        /** Completes the stream after {@code limit} events (zero or more); see {@link FlowOptions#limit()}. */
        public Builder limit(long limit) {
            this.limit = limit;
            return this;
        }

        public Builder slowConsumerAfter(Duration after) {
            this.slowConsumerAfter = after;
            return this;
        }

        public Builder slowConsumerListener(SlowConsumerListener listener) {
            listeners.add(Objects.requireNonNull(listener, "slow consumer listener must not be null"));
            return this;
        }

        /** @throws IllegalArgumentException naming the option and its value when one is out of range */
        public FlowOptions build() {
            if (limit < 0) {
                throw new IllegalArgumentException("limit must be zero or more (FlowOptions.UNLIMITED for none), was " + limit);
            }
            Objects.requireNonNull(slowConsumerAfter, "slowConsumerAfter must not be null");
            if (slowConsumerAfter.isNegative() || slowConsumerAfter.isZero()) {
                throw new IllegalArgumentException("slowConsumerAfter must be positive, was " + slowConsumerAfter);
            }
            return new FlowOptions(this);
        }
    }
}
