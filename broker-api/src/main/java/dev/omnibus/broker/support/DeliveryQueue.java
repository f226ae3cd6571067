package dev.omnibus.broker.support;

import dev.omnibus.broker.BufferFullException;
import dev.omnibus.broker.OverflowPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
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
    private final ThreadLocal<Batch> current = new ThreadLocal<>();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong lastWarn = new AtomicLong(System.nanoTime() - WARN_INTERVAL.toNanos());
    private final int batchSize;
    private volatile boolean closed;
    /** Set once close() collected the unstarted items: a worker that finishes later hands its rest to onDrop. */
    private boolean harvested;

    /**
     * @param name        shown in thread names and warnings, e.g. the subscription's pattern
     * @param concurrency number of worker threads (at least 1)
     * @param capacity    buffer capacity (at least 1)
     * @param overflow    what a full buffer does
     * @param blockTimeout how long {@link OverflowPolicy#BLOCK} waits
     * @param processor   called on a worker thread for each item; must not throw
     * @param onDrop      called for each item dropped by DROP_OLDEST / DROP_NEWEST, and for each item a
     *                    worker still held when a handler outlived {@link #close(Duration)}'s timeout
     */
    public DeliveryQueue(String name, int concurrency, int capacity, OverflowPolicy overflow, Duration blockTimeout,
            Consumer<? super T> processor, Consumer<? super T> onDrop) {
        this(name, concurrency, capacity, overflow, blockTimeout, processor, onDrop, null);
    }

    /**
     * As {@link #DeliveryQueue(String, int, int, OverflowPolicy, Duration, Consumer, Consumer)}, with
     * the workers made by {@code threadFactory} (null: named daemon platform threads), e.g.
     * {@link dev.omnibus.broker.BrokerOptions#threadFactory()}.
     */
    public DeliveryQueue(String name, int concurrency, int capacity, OverflowPolicy overflow, Duration blockTimeout,
            Consumer<? super T> processor, Consumer<? super T> onDrop, ThreadFactory threadFactory) {
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
        // a worker never holds more than the buffer could: a batch is no way round bufferSize
        this.batchSize = Math.min(BATCH, capacity);
        for (int i = 0; i < concurrency; i++) {
            Runnable work = () -> work(batch);
            Thread t;
            if (threadFactory == null) {
                t = new Thread(work, "omnibus-" + name + "-" + i);
                t.setDaemon(true);
            } else {
                t = threadFactory.newThread(work);
                if (t == null) {
                    throw new IllegalStateException("the handler thread factory " + threadFactory + " returned no thread for subscription '" + name + "'");
                }
            }
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
        // oldest first: the rest of the calling worker's batch (when a handler closes its own
        // subscription), then what other workers had taken, then the buffer
        List<T> result = restOfOwnBatch();
        List<T> left = new ArrayList<>();
        drainTo(left);
        while (offering.get() > 0 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
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
        synchronized (this) {
            harvested = true;
            T t;
            while ((t = unstarted.poll()) != null) {
                result.add(t);
            }
        }
        result.addAll(left);
        return result;
    }

    @SuppressWarnings("unchecked")
    private List<T> restOfOwnBatch() {
        List<T> own = new ArrayList<>();
        Batch mine = current.get();
        if (mine != null) {
            while (mine.next < mine.items.size()) {
                Object o = mine.items.get(mine.next++);
                if (o != POISON) {
                    own.add((T) o);
                }
            }
        }
        return own;
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
            LOG.warn("Slow consumer: buffer of subscription '{}' is full ({} messages, policy {}): {}", name, queue.size(), overflow,
                    overflow == OverflowPolicy.BLOCK || overflow == OverflowPolicy.FAIL
                            ? "publishers are held back or refused; nothing is dropped"
                            : d + " messages dropped since the last warning");
        }
    }

    @SuppressWarnings("unchecked")
    private void work(boolean batch) {
        Batch b = new Batch(batch ? batchSize : 1);
        current.set(b);
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
            b.items.add(first);
            if (batch) {
                queue.drainTo(b.items, batchSize - 1);
            }
            boolean stop = false;
            // by index: a processor that closes this queue takes the rest of the batch (see close)
            while (b.next < b.items.size()) {
                Object o = b.items.get(b.next++);
                if (o == POISON) {
                    stop = true;
                } else if (closed) {
                    leftOver((T) o);
                } else {
                    try {
                        processor.accept((T) o);
                    } catch (RuntimeException | Error e) {
                        // the processor must not throw; if it does, this worker goes on with the next item
                        LOG.error("Processing an item of subscription '{}' failed; going on with the next: {}", name, e.toString(), e);
                    }
                }
            }
            b.items.clear();
            b.next = 0;
            if (stop) {
                return;
            }
        }
    }

    /**
     * An item a worker took but did not start because the queue closed: into the list close() returns,
     * or, when close() already returned (a handler that outlived the timeout), to onDrop so that the
     * owner still hands it back.
     */
    private void leftOver(T item) {
        synchronized (this) {
            if (!harvested) {
                unstarted.add(item);
                return;
            }
        }
        onDrop.accept(item);
    }

    /** What one worker took from the buffer and how far it got. */
    private static final class Batch {
        final List<Object> items;
        int next;

        Batch(int capacity) {
            items = new ArrayList<>(capacity);
        }
    }
}
