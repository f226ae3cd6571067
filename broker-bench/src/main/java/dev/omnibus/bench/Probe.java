package dev.omnibus.bench;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Measures one round: bodies carry their send time in the first 8 bytes; each delivery records
 * its publish → deliver latency; the round ends when every expected delivery arrived.
 */
public final class Probe {
    private final long expected;
    private final AtomicLong received = new AtomicLong();
    private final CountDownLatch done = new CountDownLatch(1);
    private final ConcurrentHistogram latency = new ConcurrentHistogram(TimeUnit.MINUTES.toNanos(1), 2);

    public Probe(long expected) {
        this.expected = expected;
    }

    /** A new body of {@code size} bytes (at least 8) stamped with the current time. */
    public static byte[] stampedBody(int size) {
        byte[] b = new byte[Math.max(size, 8)];
        long now = System.nanoTime();
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (now >>> (56 - 8 * i));
        }
        return b;
    }

    /** Records the delivery of {@code body}. Thread-safe. */
    public void delivered(byte[] body) {
        long sent = 0;
        for (int i = 0; i < 8; i++) {
            sent = (sent << 8) | (body[i] & 0xff);
        }
        latency.recordValue(Math.min(Math.max(0, System.nanoTime() - sent), latency.getHighestTrackableValue()));
        if (received.incrementAndGet() == expected) {
            done.countDown();
        }
    }

    /** Waits for every expected delivery. */
    public void await(Duration timeout) throws InterruptedException, TimeoutException {
        if (!done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new TimeoutException("only " + received.get() + " of " + expected + " deliveries within " + timeout);
        }
    }

    public Histogram latency() {
        return latency;
    }
}
