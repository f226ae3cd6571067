package dev.omnibus.broker.support;

import dev.omnibus.broker.BufferFullException;
import dev.omnibus.broker.OverflowPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A subscription's bounded buffer and the threads that drain it into the handler.
 *
 * <p>{@code concurrency} worker threads take items in FIFO order and pass each to the
 * processor; with concurrency 1 items are processed one at a time in the order offered. When
 * the buffer is full the {@link OverflowPolicy} decides, and a warning names the subscription at
 * most once per {@link #WARN_INTERVAL} (with the number of items dropped meanwhile), so a slow
 * consumer is never silent.
 *
 * <p>{@link #close(Duration)} stops intake, lets running processors finish within the timeout
 * and returns the items that were never started, so a backend can hand them back.
 *
 * @param <T> the item type, typically the backend's event class
 */
public final class DeliveryQueue<T> {
    /** Least time between two slow-consumer warnings of one queue. */
    public static final Duration WARN_INTERVAL = Duration.ofSeconds(10);

    private static final Logger LOG = LoggerFactory.getLogger(DeliveryQueue.class);
    private static final Object POISON = new Object();
    private static final int BATCH = 64;

    private final String name;
    private final ArrayBlockingQueue<Object> queue;
    private final OverflowPolicy overflow;
    private final long blockNanos;
    private final Consumer<? super T> processor;
    private final Consumer<? super T> onDrop;
    private final List<Thread> workers = new ArrayList<>();
    private final ConcurrentLinkedQueue<T> unstarted = new ConcurrentLinkedQueue<>();
    private final AtomicInteger offering = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong lastWarn = new AtomicLong(System.nanoTime() - WARN_INTERVAL.toNanos());
    private volatile boolean closed;

    /**
     * @param name        shown in thread names and warnings, e.g. the subscription's pattern
     * @param concurrency number of worker threads (at least 1)
     * @param capacity    buffer capacity (at least 1)
     * @param overflow    what a full buffer does
     * @param blockTimeout how long {@link OverflowPolicy#BLOCK} waits
     * @param processor   called on a worker thread for each item; must not throw
     * @param onDrop      called for each item dropped by DROP_OLDEST / DROP_NEWEST
     */
    public DeliveryQueue(String name, int concurrency, int capacity, OverflowPolicy overflow, Duration blockTimeout,
            Consumer<? super T> processor, Consumer<? super T> onDrop) {
        if (concurrency < 1 || capacity < 1) {
            throw new IllegalArgumentException("concurrency and capacity must be at least 1, were " + concurrency + " and " + capacity);
        }
        this.name = Objects.requireNonNull(name);
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.overflow = Objects.requireNonNull(overflow);
        this.blockNanos = blockTimeout.toNanos();
        this.processor = Objects.requireNonNull(processor);
        this.onDrop = Objects.requireNonNull(onDrop);
        boolean batch = concurrency == 1;
        for (int i = 0; i < concurrency; i++) {
            Thread t = new Thread(() -> work(batch), "omnibus-" + name + "-" + i);
            t.setDaemon(true);
            workers.add(t);
        }
        workers.forEach(Thread::start);
    }

    /**
     * Hands {@code item} to the workers, applying the overflow policy when the buffer is full.
     *
     * @return false if the queue is closed (the item was not taken); true if taken or dropped by policy
     * @throws BufferFullException under FAIL, or under BLOCK after the block timeout
     */
    public boolean offer(T item) {
        offering.incrementAndGet();
        try {
            if (closed) {
                return false;
            }
            if (queue.offer(item)) {
                return true;
            }
            switch (overflow) {
                case DROP_NEWEST:
                    full(1);
                    onDrop.accept(item);
                    return true;
                case DROP_OLDEST:
                    do {
                        Object old = queue.poll();
                        if (old != null && old != POISON) {
                            full(1);
                            @SuppressWarnings("unchecked")
                            T dropped = (T) old;
                            onDrop.accept(dropped);
                        }
                    } while (!queue.offer(item));
                    return true;
                case FAIL:
                    full(0);
                    throw new BufferFullException("buffer of subscription '" + name + "' is full (" + queue.size()
                            + " messages); the handler is slower than the publishers: raise concurrency or bufferSize, "
                            + "or choose another overflow policy");
                case BLOCK:
                default:
                    full(0);
                    try {
                        if (queue.offer(item, blockNanos, TimeUnit.NANOSECONDS)) {
                            return true;
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new BufferFullException("interrupted while waiting for room in the buffer of subscription '" + name + "'");
                    }
                    throw new BufferFullException("buffer of subscription '" + name + "' stayed full for "
                            + Duration.ofNanos(blockNanos) + "; the handler is slower than the publishers: raise concurrency "
                            + "or bufferSize, or choose another overflow policy");
            }
        } finally {
            offering.decrementAndGet();
        }
    }

    /** Hands {@code item} to the workers only if the queue is open and has room; never blocks or drops. */
    public boolean tryOffer(T item) {
        offering.incrementAndGet();
        try {
            return !closed && queue.offer(item);
        } finally {
            offering.decrementAndGet();
        }
    }

    /** Items waiting in the buffer. */
    public int size() {
        return queue.size();
    }

    public boolean isClosed() {
        return closed;
    }

    /**
     * Stops intake, waits up to {@code timeout} for running processors, stops the workers and
     * returns the items that were never started, in order. Idempotent; a second call returns an
     * empty list. Safe to call from a worker thread (that worker is not waited for).
     */
    public List<T> close(Duration timeout) {
        synchronized (this) {
            if (closed) {
                return List.of();
            }
            closed = true;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        List<T> left = new ArrayList<>();
        drainTo(left);
        while (offering.get() > 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            drainTo(left);
        }
        drainTo(left);
        // only poison enters from here on: intake is closed and no offer is in progress
        try {
            for (int i = 0; i < workers.size(); i++) {
                long rest = Math.max(deadline - System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(100));
                if (!queue.offer(POISON, rest, TimeUnit.NANOSECONDS)) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Thread self = Thread.currentThread();
        for (Thread w : workers) {
            if (w == self) {
                continue;
            }
            long rest = deadline - System.nanoTime();
            try {
                if (rest > 0) {
                    TimeUnit.NANOSECONDS.timedJoin(w, rest);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            if (w.isAlive()) {
                LOG.warn("Handler of subscription '{}' still running after the shutdown timeout of {}; interrupting it",
                        name, timeout);
                w.interrupt();
            }
        }
        T t;
        while ((t = unstarted.poll()) != null) {
            left.add(t);
        }
        return left;
    }

    private void drainTo(List<T> out) {
        Object o;
        while ((o = queue.poll()) != null) {
            if (o != POISON) {
                @SuppressWarnings("unchecked")
                T t = (T) o;
                out.add(t);
            }
        }
    }

    private void full(int droppedNow) {
        long d = dropped.addAndGet(droppedNow);
        long now = System.nanoTime();
        long last = lastWarn.get();
        if (now - last >= WARN_INTERVAL.toNanos() && lastWarn.compareAndSet(last, now)) {
            dropped.addAndGet(-d);
            LOG.warn("Slow consumer: buffer of subscription '{}' is full ({} messages, policy {}); {} dropped since the last warning",
                    name, queue.size(), overflow, d);
        }
    }

    @SuppressWarnings("unchecked")
    private void work(boolean batch) {
        List<Object> local = new ArrayList<>(batch ? BATCH : 1);
        while (true) {
            Object first;
            try {
                first = closed ? queue.poll() : queue.take();
            } catch (InterruptedException e) {
                if (closed) {
                    return;
                }
                continue;
            }
            if (first == null) {
                return;
            }
            local.add(first);
            if (batch) {
                queue.drainTo(local, BATCH - 1);
            }
            boolean stop = false;
            for (Object o : local) {
                if (o == POISON) {
                    stop = true;
                } else if (closed) {
                    unstarted.add((T) o);
                } else {
                    processor.accept((T) o);
                }
            }
            local.clear();
            if (stop) {
                return;
            }
        }
    }
}
