package dev.omnibus.broker;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When a failed delivery is tried again, and when it is given up: the same rule on every backend
 * that declares {@link Capability#ACKNOWLEDGEMENT} (and, in process, on the others).
 *
 * <p>After attempt {@code n} fails (a handler threw, or nacked), the message is delivered again
 * after {@link #delayAfter(int)}, unless {@code n} reached {@link #maxDeliveries()} or the failure
 * is {@linkplain #isRetryable(Throwable) not retryable}: then it goes to the subscription's
 * dead-letter topic with the reason, or is dropped with one logged error when it has none.
 *
 * <ul>
 *   <li>{@link #fixed(Duration)}: the same delay before every retry (no jitter by default).
 *   <li>{@link #exponential(Duration, double, Duration)}: {@code initial × multiplier^(n-1)},
 *       capped at {@code max}, with {@link #DEFAULT_JITTER} jitter by default.
 * </ul>
 *
 * <p>Jitter {@code j} draws each delay uniformly from {@code [d × (1 - j), d]}, so a delay never
 * exceeds the cap, and failures of many messages at once spread out instead of retrying in step.
 *
 * <p>Immutable and thread-safe. Out-of-range values are an {@link IllegalArgumentException} at
 * {@link Builder#build()} (and so at the factory methods) naming the value.
 *
 * <pre>{@code
 * RetryPolicy policy = RetryPolicy.exponential(Duration.ofMillis(200), 2.0, Duration.ofSeconds(30))
 *         .withMaxDeliveries(8)
 *         .nonRetryable(IllegalArgumentException.class, JsonProcessingException.class);
 * broker.subscribe("orders.created", handler, SubscribeOptions.builder().retry(policy).build());
 * }</pre>
 */
public final class RetryPolicy {
    /** Attempts before a message is dead-lettered or dropped, unless set otherwise. */
    public static final int DEFAULT_MAX_DELIVERIES = 5;
    /** The delay of {@link #defaults()}. */
    public static final Duration DEFAULT_DELAY = Duration.ofSeconds(1);
    /** The jitter of {@link #exponential(Duration, double, Duration)} unless set otherwise. */
    public static final double DEFAULT_JITTER = 0.2;
    /** The longest delay a policy may ask for; longer waits are a scheduler's job, not a retry's. */
    public static final Duration MAX_DELAY = Duration.ofDays(1);

    private static final RetryPolicy DEFAULTS = fixed(DEFAULT_DELAY);

    private final Duration initialDelay;
    private final double multiplier;
    private final Duration maxDelay;
    private final double jitter;
    private final int maxDeliveries;
    private final List<Class<? extends Throwable>> nonRetryable;

    private RetryPolicy(Builder b) {
        this.initialDelay = b.initialDelay;
        this.multiplier = b.multiplier;
        this.maxDelay = b.maxDelay;
        this.jitter = b.jitter;
        this.maxDeliveries = b.maxDeliveries;
        this.nonRetryable = List.copyOf(b.nonRetryable);
    }

    /** {@code fixed(1 s)} with {@link #DEFAULT_MAX_DELIVERIES} deliveries: what a subscription gets unless told otherwise. */
    public static RetryPolicy defaults() {
        return DEFAULTS;
    }

    /** The same {@code delay} (zero or more) before every retry, no jitter, {@link #DEFAULT_MAX_DELIVERIES} deliveries. */
    public static RetryPolicy fixed(Duration delay) {
        return builder().fixed(delay).build();
    }

    /**
     * {@code initial × multiplier^(n-1)} before the retry after attempt {@code n}, at most
     * {@code max}, with {@link #DEFAULT_JITTER} jitter and {@link #DEFAULT_MAX_DELIVERIES} deliveries.
     *
     * @param initial    the first retry's delay, positive
     * @param multiplier growth per attempt, at least 1
     * @param max        the cap, at least {@code initial}
     */
    public static RetryPolicy exponential(Duration initial, double multiplier, Duration max) {
        return builder().exponential(initial, multiplier, max).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** This policy with at most {@code maxDeliveries} attempts (at least 1). */
    public RetryPolicy withMaxDeliveries(int maxDeliveries) {
        return toBuilder().maxDeliveries(maxDeliveries).build();
    }

    /** This policy with jitter {@code jitter}, from 0 (none) to 1. */
    public RetryPolicy withJitter(double jitter) {
        return toBuilder().jitter(jitter).build();
    }

    /** This policy, also dead-lettering at once a failure that is an instance of one of {@code types}. */
    @SafeVarargs
    public final RetryPolicy nonRetryable(Class<? extends Throwable>... types) {
        return toBuilder().nonRetryable(types).build();
    }

    /** The first retry's delay (before jitter). */
    public Duration initialDelay() {
        return initialDelay;
    }

    /** Growth of the delay per failed attempt; 1 for a fixed policy. */
    public double multiplier() {
        return multiplier;
    }

    /** The longest delay this policy asks for. */
    public Duration maxDelay() {
        return maxDelay;
    }

    /** Fraction of each delay drawn at random: the delay lies in {@code [d × (1 - jitter), d]}. */
    public double jitter() {
        return jitter;
    }

    /** Delivery attempts before a message is dead-lettered or dropped (at least 1). */
    public int maxDeliveries() {
        return maxDeliveries;
    }

    /** Failure types that are dead-lettered at once, without a retry (unmodifiable). */
    public List<Class<? extends Throwable>> nonRetryableTypes() {
        return nonRetryable;
    }

    /** False when {@code failure} (or, for a wrapper, its cause chain) is one of {@link #nonRetryableTypes()}. */
    public boolean isRetryable(Throwable failure) {
        if (nonRetryable.isEmpty()) {
            return true;
        }
        int depth = 0;
        // bounded: a cause chain can be made circular with initCause
        for (Throwable t = failure; t != null && depth++ < 32; t = t.getCause() == t ? null : t.getCause()) {
            for (Class<? extends Throwable> type : nonRetryable) {
                if (type.isInstance(t)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** True when the delivery that failed at {@code attempt} (1 = first) may be delivered again. */
    public boolean retriesAfter(int attempt, Throwable failure) {
        return attempt < maxDeliveries && isRetryable(failure);
    }

    /** The delay before the retry that follows failed attempt {@code attempt} (1 = first), jitter applied. */
    public Duration delayAfter(int attempt) {
        long hi = upperNanos(attempt);
        if (jitter == 0 || hi == 0) {
            return Duration.ofNanos(hi);
        }
        long lo = lowerNanos(hi);
        return Duration.ofNanos(lo == hi ? hi : ThreadLocalRandom.current().nextLong(lo, hi + 1));
    }

    /** The shortest delay {@link #delayAfter(int)} can return for {@code attempt}. */
    public Duration minDelayAfter(int attempt) {
        return Duration.ofNanos(lowerNanos(upperNanos(attempt)));
    }

    /** The longest delay {@link #delayAfter(int)} can return for {@code attempt}. */
    public Duration maxDelayAfter(int attempt) {
        return Duration.ofNanos(upperNanos(attempt));
    }

    private long upperNanos(int attempt) {
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt must be at least 1, was " + attempt);
        }
        double d = initialDelay.toNanos() * Math.pow(multiplier, attempt - 1);
        return (long) Math.min(d, maxDelay.toNanos());
    }

    private long lowerNanos(long upper) {
        return (long) Math.ceil(upper * (1 - jitter));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RetryPolicy p && initialDelay.equals(p.initialDelay) && multiplier == p.multiplier
                && maxDelay.equals(p.maxDelay) && jitter == p.jitter && maxDeliveries == p.maxDeliveries
                && nonRetryable.equals(p.nonRetryable);
    }

    @Override
    public int hashCode() {
        return Objects.hash(initialDelay, multiplier, maxDelay, jitter, maxDeliveries, nonRetryable);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("RetryPolicy{");
        if (multiplier == 1 && initialDelay.equals(maxDelay)) {
            b.append("fixed ").append(initialDelay);
        } else {
            b.append("exponential ").append(initialDelay).append(" x").append(multiplier).append(" up to ").append(maxDelay);
        }
        if (jitter > 0) {
            b.append(", jitter ").append(jitter);
        }
        b.append(", maxDeliveries ").append(maxDeliveries);
        if (!nonRetryable.isEmpty()) {
            b.append(", nonRetryable ").append(nonRetryable.stream().map(Class::getSimpleName).toList());
        }
        return b.append('}').toString();
    }

    /** Builds a {@link RetryPolicy}; starts as {@link #defaults()}. */
    public static final class Builder {
        private Duration initialDelay = DEFAULT_DELAY;
        private double multiplier = 1;
        private Duration maxDelay = DEFAULT_DELAY;
        private double jitter;
        private int maxDeliveries = DEFAULT_MAX_DELIVERIES;
        private final Set<Class<? extends Throwable>> nonRetryable = new LinkedHashSet<>();

        private Builder() {
        }

        private Builder(RetryPolicy p) {
            initialDelay = p.initialDelay;
            multiplier = p.multiplier;
            maxDelay = p.maxDelay;
            jitter = p.jitter;
            maxDeliveries = p.maxDeliveries;
            nonRetryable.addAll(p.nonRetryable);
        }

        /** The same delay before every retry; clears the jitter. */
        public Builder fixed(Duration delay) {
            Objects.requireNonNull(delay, "retry delay must not be null");
            initialDelay = delay;
            maxDelay = delay;
            multiplier = 1;
            jitter = 0;
            return this;
        }

        /** Exponential backoff; sets the jitter to {@link #DEFAULT_JITTER} (change it with {@link #jitter(double)} after). */
        public Builder exponential(Duration initial, double multiplier, Duration max) {
            Objects.requireNonNull(initial, "initial retry delay must not be null");
            Objects.requireNonNull(max, "max retry delay must not be null");
            this.initialDelay = initial;
            this.multiplier = multiplier;
            this.maxDelay = max;
            this.jitter = DEFAULT_JITTER;
            return this;
        }

        public Builder jitter(double jitter) {
            this.jitter = jitter;
            return this;
        }

        public Builder maxDeliveries(int maxDeliveries) {
            this.maxDeliveries = maxDeliveries;
            return this;
        }

        /** Adds failure types that are dead-lettered at once (an instance anywhere in the cause chain matches). */
        @SafeVarargs
        public final Builder nonRetryable(Class<? extends Throwable>... types) {
            Objects.requireNonNull(types, "nonRetryable types must not be null");
            for (Class<? extends Throwable> t : types) {
                nonRetryable.add(Objects.requireNonNull(t, "a nonRetryable type must not be null"));
            }
            return this;
        }

        /**
         * @throws IllegalArgumentException naming the value when one is out of range
         */
        public RetryPolicy build() {
            if (maxDeliveries < 1) {
                throw new IllegalArgumentException("maxDeliveries must be at least 1, was " + maxDeliveries);
            }
            if (initialDelay.isNegative()) {
                throw new IllegalArgumentException("retry delay must not be negative, was " + initialDelay);
            }
            if (!(multiplier >= 1) || Double.isInfinite(multiplier)) {
                throw new IllegalArgumentException("retry multiplier must be a finite number of at least 1, was " + multiplier);
            }
            if (multiplier > 1 && initialDelay.isZero()) {
                throw new IllegalArgumentException("exponential retry needs a positive initial delay, was " + initialDelay);
            }
            if (maxDelay.compareTo(initialDelay) < 0) {
                throw new IllegalArgumentException("max retry delay " + maxDelay + " is shorter than the initial delay " + initialDelay);
            }
            if (maxDelay.compareTo(MAX_DELAY) > 0) {
                throw new IllegalArgumentException("retry delay must be at most " + MAX_DELAY + ", was " + maxDelay
                        + "; schedule work that far ahead instead of retrying it");
            }
            if (!(jitter >= 0 && jitter <= 1)) {
                throw new IllegalArgumentException("retry jitter must be between 0 and 1, was " + jitter);
            }
            return new RetryPolicy(this);
        }
    }
}
