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
    private Object[] items;
    private int head;
    /** Written under the lock, read without it by {@link #size()}. */
    private volatile int count;

    BoundedBuffer(int capacity) {
        this.capacity = capacity;
        this.items = new Object[Math.min(INITIAL, capacity)];
    }

    int size() {
        return count;
    }

    boolean isEmpty() {
        return count == 0;
    }

    /** Adds {@code item} if there is room. */
    boolean offer(Object item) {
        lock.lock();
        try {
            return add(item);
        } finally {
            lock.unlock();
        }
    }

    /** Adds {@code item}, waiting up to {@code nanos} for room. */
    boolean offer(Object item, long nanos) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (!add(item)) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = notFull.awaitNanos(nanos);
            }
            return true;
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
        items[(head + n) % items.length] = item;
        count = n + 1;
        return true;
    }

    private Object take() {
        Object o = items[head];
        items[head] = null;
        head = (head + 1) % items.length;
        count = count - 1;
        return o;
    }

    private void grow() {
        Object[] bigger = new Object[(int) Math.min(capacity, 2L * items.length)];
        int n = count;
        for (int i = 0; i < n; i++) {
            bigger[i] = items[(head + i) % items.length];
        }
        items = bigger;
        head = 0;
    }
}
