package dev.omnibus.broker.support;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Lets a repeated warning through at most once per interval, and counts what happened in between,
 * so that the warning that goes through can say how much was kept quiet ("1,204 messages dropped
 * since the last warning"). The first occurrence always goes through. Every slow-consumer, full-buffer
 * and starved-pool warning of the backends is throttled with one of these, so they all follow one rule.
 * Thread-safe and lock-free: of threads that occur at once, exactly one gets the warning.
 */
public final class WarningThrottle {
    private final long intervalNanos;
    private final LongSupplier clock;
    private final AtomicLong last;
    private final AtomicLong count = new AtomicLong();

    /** Once per {@link DeliveryQueue#WARN_INTERVAL}. */
    public WarningThrottle() {
        this(DeliveryQueue.WARN_INTERVAL);
    }

    /** @param interval least time between two warnings (positive) */
    public WarningThrottle(Duration interval) {
        this(interval, System::nanoTime);
    }

    /** For tests: a clock in nanoseconds. */
    WarningThrottle(Duration interval, LongSupplier clock) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("a warning interval must be positive, was " + interval);
        }
        this.intervalNanos = interval.toNanos();
        this.clock = clock;
        this.last = new AtomicLong(clock.getAsLong() - intervalNanos);
    }

    /**
     * Records {@code n} more of what the warning counts (0 when it counts nothing).
     *
     * @return -1 if the warning stays quiet now; else the count since the last warning went
     *         through, this call's {@code n} included, and the count starts again from 0
     */
    public long occurred(long n) {
        long total = n == 0 ? count.get() : count.addAndGet(n);
        long now = clock.getAsLong();
        long l = last.get();
        if (now - l < intervalNanos || !last.compareAndSet(l, now)) {
            return -1;
        }
        count.addAndGet(-total);
        return total;
    }

    /** {@link #occurred(long) occurred(0)}: true if the warning may go now. */
    public boolean ready() {
        return occurred(0) >= 0;
    }
}
