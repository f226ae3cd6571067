package dev.omnibus.broker.kafka;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A consumer thread's wait for room while it has paused its partitions (its subscription holds as
 * many unsettled records as it may): handler threads {@link #signal()} each settlement, so the
 * consumer resumes fetching as soon as there is room, not when a poll timeout ends.
 */
final class Room {
    private final Object lock = new Object();
    private volatile boolean waiting;

    /** A delivery was settled (or the consumer should stop): wakes a waiting consumer; nearly free when none waits. */
    void signal() {
        if (waiting) {
            synchronized (lock) {
                lock.notifyAll();
            }
        }
    }

    /** Waits until {@code hasRoom} holds, at most {@code millis}; a signal makes it check again. */
    void await(BooleanSupplier hasRoom, long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (lock) {
            waiting = true;
            try {
                while (!hasRoom.getAsBoolean()) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return;
                    }
                    lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                waiting = false;
            }
        }
    }
}
