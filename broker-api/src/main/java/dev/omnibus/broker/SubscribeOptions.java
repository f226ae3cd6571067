package dev.omnibus.broker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How a subscription receives messages. Immutable; build with {@link #builder()}, derive with
 * {@link #toBuilder()}. Every default is a named constant. Values are validated in
 * {@link Builder#build()} with the offending value in the message.
 */
public final class SubscribeOptions {
    public static final boolean DEFAULT_AUTO_ACK = true;
    public static final int DEFAULT_CONCURRENCY = 1;
    public static final int DEFAULT_PREFETCH = 256;
    public static final int DEFAULT_MAX_DELIVERIES = RetryPolicy.DEFAULT_MAX_DELIVERIES;
    public static final Duration DEFAULT_REDELIVERY_DELAY = RetryPolicy.DEFAULT_DELAY;
    public static final int DEFAULT_BUFFER_SIZE = 1024;
    public static final OverflowPolicy DEFAULT_OVERFLOW = OverflowPolicy.BLOCK;
    public static final Duration DEFAULT_BLOCK_TIMEOUT = Duration.ofSeconds(5);

    private static final SubscribeOptions DEFAULTS = builder().build();

    private final String queue;
    private final boolean autoAck;
    private final int concurrency;
    private final int prefetch;
    private final boolean durable;
    private final RetryPolicy retry;
    private final String deadLetterTopic;
    private final int bufferSize;
    private final OverflowPolicy overflow;
    private final Duration blockTimeout;
    private final List<HandlerInterceptor> interceptors;

    private SubscribeOptions(Builder b) {
        this.queue = b.queue;
        this.autoAck = b.autoAck;
        this.concurrency = b.concurrency;
        this.prefetch = b.prefetch;
        this.durable = b.durable;
        this.retry = b.retryPolicy;
        this.deadLetterTopic = b.deadLetterTopic;
        this.bufferSize = b.bufferSize;
        this.overflow = b.overflow;
        this.blockTimeout = b.blockTimeout;
        this.interceptors = List.copyOf(b.interceptors);
    }

    /** The defaults: broadcast, auto-ack, concurrency 1. */
    public static SubscribeOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Queue group name, or null for broadcast. */
    public String queue() {
        return queue;
    }

    public boolean autoAck() {
        return autoAck;
    }

    /** Most handler calls running at once for this subscription; 1 keeps publish order. */
    public int concurrency() {
        return concurrency;
    }

    /** Most unacknowledged messages the broker hands this subscription ahead of the handler. */
    public int prefetch() {
        return prefetch;
    }

    /** A durable queue group keeps messages while no member is connected. Needs a queue. */
    public boolean durable() {
        return durable;
    }

    /**
     * When a failed delivery is tried again and when it is given up; {@link RetryPolicy#defaults()}
     * (1 s fixed, 5 deliveries) unless set.
     */
    public RetryPolicy retry() {
        return retry;
    }

    /** Delivery attempts before a message is dead-lettered or dropped (at least 1): {@code retry().maxDeliveries()}. */
    public int maxDeliveries() {
        return retry.maxDeliveries();
    }

    /** Wait before the first redelivery of a nacked message, before jitter: {@code retry().initialDelay()}. */
    public Duration redeliveryDelay() {
        return retry.initialDelay();
    }

    /**
     * Where a message goes after its last failed attempt (or a failure the retry policy does not
     * retry); null to drop it with a logged error.
     */
    public String deadLetterTopic() {
        return deadLetterTopic;
    }

    /** Capacity of the subscription's local buffer between the broker and the handler. */
    public int bufferSize() {
        return bufferSize;
    }

    /** What the local buffer does when full. */
    public OverflowPolicy overflow() {
        return overflow;
    }

    /** How long {@link OverflowPolicy#BLOCK} waits for room before failing. */
    public Duration blockTimeout() {
        return blockTimeout;
    }

    /**
     * This subscription's handler interceptors, in the order they run (unmodifiable); they run
     * inside the broker's ({@link BrokerOptions#interceptors()}). Empty by default.
     */
    public List<HandlerInterceptor> interceptors() {
        return interceptors;
    }

    @Override
    public String toString() {
        return "SubscribeOptions{queue=" + queue + ", autoAck=" + autoAck + ", concurrency=" + concurrency
                + ", prefetch=" + prefetch + ", durable=" + durable + ", retry=" + retry
                + ", deadLetterTopic=" + deadLetterTopic
                + ", bufferSize=" + bufferSize + ", overflow=" + overflow + ", blockTimeout=" + blockTimeout
                + (interceptors.isEmpty() ? "" : ", interceptors=" + interceptors.size()) + "}";
    }

    /** Builds {@link SubscribeOptions}. */
    public static final class Builder {
        private String queue;
        private boolean autoAck = DEFAULT_AUTO_ACK;
        private int concurrency = DEFAULT_CONCURRENCY;
        private int prefetch = DEFAULT_PREFETCH;
        private boolean durable;
        private RetryPolicy.Builder retry = RetryPolicy.builder();
        private RetryPolicy retryPolicy;
        private Duration redeliveryDelay = DEFAULT_REDELIVERY_DELAY;
        private String deadLetterTopic;
        private int bufferSize = DEFAULT_BUFFER_SIZE;
        private OverflowPolicy overflow = DEFAULT_OVERFLOW;
        private Duration blockTimeout = DEFAULT_BLOCK_TIMEOUT;
        private final List<HandlerInterceptor> interceptors = new ArrayList<>();

        private Builder() {
        }

        private Builder(SubscribeOptions o) {
            queue = o.queue;
            autoAck = o.autoAck;
            concurrency = o.concurrency;
            prefetch = o.prefetch;
            durable = o.durable;
            retry = o.retry.toBuilder();
            redeliveryDelay = o.retry.initialDelay();
            deadLetterTopic = o.deadLetterTopic;
            bufferSize = o.bufferSize;
            overflow = o.overflow;
            blockTimeout = o.blockTimeout;
            interceptors.addAll(o.interceptors);
        }

        /** Joins queue group {@code group} (a topic-like token: letters, digits, '-', '_'); null for broadcast. */
        public Builder queue(String group) {
            this.queue = group;
            return this;
        }

        public Builder autoAck(boolean autoAck) {
            this.autoAck = autoAck;
            return this;
        }

        public Builder concurrency(int concurrency) {
            this.concurrency = concurrency;
            return this;
        }

        public Builder prefetch(int prefetch) {
            this.prefetch = prefetch;
            return this;
        }

        public Builder durable(boolean durable) {
            this.durable = durable;
            return this;
        }

        /**
         * The retry policy: when a failed delivery is tried again, and when it is given up.
         * Replaces what {@link #maxDeliveries(int)} and {@link #redeliveryDelay(Duration)} set
         * before; those called after it change this policy.
         */
        public Builder retry(RetryPolicy policy) {
            this.retry = Objects.requireNonNull(policy, "retry policy must not be null; use RetryPolicy.defaults()").toBuilder();
            this.redeliveryDelay = policy.initialDelay();
            return this;
        }

        /** Shorthand: the retry policy's maximum number of delivery attempts (at least 1). */
        public Builder maxDeliveries(int maxDeliveries) {
            retry.maxDeliveries(maxDeliveries);
            return this;
        }

        /** Shorthand: a fixed retry delay (zero or more), keeping the policy's maxDeliveries and nonRetryable types. */
        public Builder redeliveryDelay(Duration delay) {
            this.redeliveryDelay = delay;
            if (delay != null) {
                retry.fixed(delay);
            }
            return this;
        }

        public Builder deadLetterTopic(String topic) {
            this.deadLetterTopic = topic;
            return this;
        }

        public Builder bufferSize(int bufferSize) {
            this.bufferSize = bufferSize;
            return this;
        }

        public Builder overflow(OverflowPolicy overflow) {
            this.overflow = overflow;
            return this;
        }

        public Builder blockTimeout(Duration blockTimeout) {
            this.blockTimeout = blockTimeout;
            return this;
        }

        /**
         * Adds a handler interceptor for this subscription, after those added before; see
         * {@link HandlerInterceptor} for the order relative to the broker's.
         */
        public Builder interceptor(HandlerInterceptor interceptor) {
            interceptors.add(Objects.requireNonNull(interceptor, "interceptor must not be null"));
            return this;
        }

        /** Replaces this subscription's handler interceptors with {@code interceptors}, in order. */
        public Builder interceptors(List<? extends HandlerInterceptor> interceptors) {
            Objects.requireNonNull(interceptors, "interceptors must not be null; use List.of() for none");
            this.interceptors.clear();
            interceptors.forEach(this::interceptor);
            return this;
        }

        /**
         * @throws IllegalArgumentException naming the option and its value when one is out of range
         */
        public SubscribeOptions build() {
            if (queue != null) {
                Topics.validateQueueName(queue);
            }
            positive("concurrency", concurrency);
            positive("prefetch", prefetch);
            positive("bufferSize", bufferSize);
            Objects.requireNonNull(redeliveryDelay, "redeliveryDelay must not be null");
            Objects.requireNonNull(overflow, "overflow must not be null");
            Objects.requireNonNull(blockTimeout, "blockTimeout must not be null");
            if (redeliveryDelay.isNegative()) {
                throw new IllegalArgumentException("redeliveryDelay must not be negative, was " + redeliveryDelay);
            }
            retryPolicy = retry.build();
            if (blockTimeout.isNegative()) {
                throw new IllegalArgumentException("blockTimeout must not be negative, was " + blockTimeout);
            }
            if (durable && queue == null) {
                throw new IllegalArgumentException(
                        "durable(true) needs a queue group: set queue(\"name\") so the broker knows whose messages to keep");
            }
            if (deadLetterTopic != null) {
                Topics.validateTopic(deadLetterTopic);
            }
            return new SubscribeOptions(this);
        }

        private static void positive(String name, int value) {
            if (value < 1) {
                throw new IllegalArgumentException(name + " must be at least 1, was " + value);
            }
        }
    }
}
