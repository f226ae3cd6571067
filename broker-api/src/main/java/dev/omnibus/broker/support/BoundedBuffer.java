package dev.omnibus.broker.support;

import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A FIFO of at most {@code capacity} items whose array grows on demand (from 16 slots, doubling),
 * so that ten thousand idle subscriptions with a buffer of 1,024 do not hold 4 KiB of empty slots
 * each. Thread-safe; {@link #offer(Object, long)} waits for room.
 */
final class BoundedBuffer {
    private static final int INITIAL = 16;

    private final int capacity;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notFull = lock.newCondition();
    /** {@link #offer} results. */
    static final int ADDED = 1;
    static final int FULL = 0;
    static final int CLOSED = -1;

    private Object[] items;
    private int head;
    /** Written under the lock, read without it by {@link #size()}. */
    private volatile int count;
    /** Set by {@link #close}; guarded by the lock: an offer either gets in before, and close takes it, or sees it. */
    private boolean closed;

    BoundedBuffer(int capacity) {
        this.capacity = capacity;
        this.items = new Object[Math.min(INITIAL, capacity)];
    }

    int size() {
        return count;
    }

    /** The most items it holds. */
    int capacity() {
        return capacity;
    }

    boolean isEmpty() {
        return count == 0;
    }

    /** Adds {@code item} if there is room: {@link #ADDED}, {@link #FULL} or {@link #CLOSED}. */
    int offer(Object item) {
        lock.lock();
        try {
            return closed ? CLOSED : add(item) ? ADDED : FULL;
        } finally {
            lock.unlock();
        }
    }

    /** Adds {@code item}, waiting up to {@code nanos} for room: {@link #ADDED}, {@link #FULL} (timed out) or {@link #CLOSED}. */
    int offer(Object item, long nanos) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (true) {
                if (closed) {
                    return CLOSED;
                }
                if (add(item)) {
                    return ADDED;
                }
                if (nanos <= 0) {
                    return FULL;
                }
                nanos = notFull.awaitNanos(nanos);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Refuses every later offer ({@link #CLOSED}, also to those waiting for room) and moves what
     * it holds, oldest first, into {@code out}. Idempotent.
     */
    <T> void close(List<? super T> out) {
        lock.lock();
        try {
            closed = true;
            drainTo(out, Integer.MAX_VALUE);
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }

    Object poll() {
        lock.lock();
        try {
            if (count == 0) {
                return null;
            }
            Object o = take();
            notFull.signal();
            return o;
        } finally {
            lock.unlock();
        }
    }

    /** Moves up to {@code max} items, oldest first, into {@code out}; returns how many. */
    @SuppressWarnings("unchecked")
    <T> int drainTo(List<? super T> out, int max) {
        lock.lock();
        try {
            int n = Math.min(max, count);
            for (int i = 0; i < n; i++) {
                out.add((T) take());
            }
            if (n > 0) {
                notFull.signalAll();
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    private boolean add(Object item) {
        int n = count;
        if (n == items.length) {
            if (n >= capacity) {
                return false;
            }
            grow();
        }
        int tail = head + n;
        // a wrap by subtraction, not %: the array's length need not be a power of two (it stops at capacity)
        items[tail >= items.length ? tail - items.length : tail] = item;
        count = n + 1;
        return true;
    }

    private Object take() {
        Object o = items[head];
        items[head] = null;
        if (++head == items.length) {
            head = 0;
        }
        count = count - 1;
        return o;
    }

    private void grow() {
        Object[] bigger = new Object[(int) Math.min(capacity, 2L * items.length)];
        int n = count;
        int first = Math.min(n, items.length - head);
        System.arraycopy(items, head, bigger, 0, first);
        System.arraycopy(items, 0, bigger, first, n - first);
        items = bigger;
        head = 0;
    }
}
