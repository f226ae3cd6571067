package dev.omnibus.broker.support;

import dev.omnibus.broker.BufferFullException;
import dev.omnibus.broker.OverflowPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A subscription's bounded buffer, drained into the handler by the broker's shared {@link HandlerPool}.
 *
 * <p>The queue is a mailbox: an offer that finds no drain running submits one to the pool, and
 * at most {@code concurrency} drains of one queue run at once, each passing items in FIFO order to
 * the processor; with concurrency 1 items are processed one at a time in the order offered. A
 * drain processes a batch (up to 64 items) and, if other work waits for a pool thread, yields
 * and submits itself again, so one busy subscription cannot starve the others; with nothing
 * waiting it goes on without a new submission. A drain that empties the buffer waits a few
 * microseconds for more before it ends (adaptively, see {@link #linger()}), so that an offer into a
 * mailbox whose drain still runs costs the buffer insert alone. When the buffer is full the {@link OverflowPolicy}
 * decides, and a warning names the subscription at most once per {@link #WARN_INTERVAL} (with the
 * number of items dropped meanwhile), so a slow consumer is never silent.
 *
 * <p>{@link #close(Duration)} stops intake, lets running processors finish within the timeout
 * (then interrupts them) and returns the items that were never started, so a backend can hand them back.
 * An offer racing with it is either among those items or refused ({@code false}), also one that
 * waits for room under BLOCK.
 *
 * @param <T> the item type, typically the backend's event class
 */
public final class DeliveryQueue<T> {
    /** Least time between two slow-consumer warnings of one queue. */
    public static final Duration WARN_INTERVAL = Duration.ofSeconds(10);

    private static final Logger LOG = LoggerFactory.getLogger(DeliveryQueue.class);
    private static final int BATCH = 64;
    /** Longest and shortest wait of a drain that emptied the buffer for the next item (see {@link #linger()}). */
    static final long LINGER_MAX_NANOS = 20_000;
    static final long LINGER_MIN_NANOS = 500;
    /** The batch the drain on this thread works on, if any: close() from a handler returns the rest of it. */
    private static final ThreadLocal<Batch> CURRENT = new ThreadLocal<>();

    private final String name;
    private final BoundedBuffer buffer;
    private final OverflowPolicy overflow;
    private final long blockNanos;
    private final Consumer<? super T> processor;
    private final Consumer<? super T> onDrop;
    private final HandlerPool pool;
    private final int concurrency;
    private final int batchSize;
    private final Batch[] slots;
    private final Drain drain = new Drain();
    /** The current wait of {@link #linger()}; only drains touch it, a lost update between two of them is harmless. */
    private long lingerNanos = LINGER_MAX_NANOS;
    /** Drains submitted or running: never more than concurrency. */
    private final AtomicInteger drains = new AtomicInteger();
    /** Drains running (past their closed check): close() waits for them. */
    private final AtomicInteger active = new AtomicInteger();
    /** Items that may still be handed out before some are settled; null: no bound. */
    private final AtomicInteger credits;
    private final WarningThrottle fullWarning = new WarningThrottle();
    private volatile boolean closed;
    /** Items drains took but did not start because the queue closed; guarded by this. */
    private List<T> unstarted;
    /** Set once close() collected the unstarted items: a drain that finishes later hands its rest to onDrop. */
    private boolean harvested;

    /**
     * @param name        shown in warnings, e.g. the subscription's pattern
     * @param concurrency most items processed at once (at least 1)
     * @param capacity    buffer capacity (at least 1)
     * @param overflow    what a full buffer does
     * @param blockTimeout how long {@link OverflowPolicy#BLOCK} waits
     * @param processor   called on a pool thread for each item; must not throw
     * @param onDrop      called for each item dropped by DROP_OLDEST / DROP_NEWEST, and for each item a
     *                    drain still held when a handler outlived {@link #close(Duration)}'s timeout
     * @param pool        the threads that drain this queue, shared with the broker's other subscriptions
     */
    public DeliveryQueue(String name, int concurrency, int capacity, OverflowPolicy overflow, Duration blockTimeout,
            Consumer<? super T> processor, Consumer<? super T> onDrop, HandlerPool pool) {
        this(name, concurrency, capacity, overflow, blockTimeout, processor, onDrop, pool, 0);
    }

    /**
     * As {@link #DeliveryQueue(String, int, int, OverflowPolicy, Duration, Consumer, Consumer, HandlerPool)},
     * with at most {@code unsettled} items handed to the processor and not yet {@link #settled()}
     * (0: no bound), e.g. manual ack's prefetch. A drain that finds the bound reached ends instead of
     * waiting, so no pool thread waits for a handler's ack; {@link #settled()} starts it again.
     */
    public DeliveryQueue(String name, int concurrency, int capacity, OverflowPolicy overflow, Duration blockTimeout,
            Consumer<? super T> processor, Consumer<? super T> onDrop, HandlerPool pool, int unsettled) {
        if (concurrency < 1 || capacity < 1) {
            throw new IllegalArgumentException("concurrency and capacity must be at least 1, were " + concurrency + " and " + capacity);
        }
        this.name = Objects.requireNonNull(name);
        this.buffer = new BoundedBuffer(capacity);
        this.overflow = Objects.requireNonNull(overflow);
        this.blockNanos = blockTimeout.toNanos();
        this.processor = Objects.requireNonNull(processor);
        this.onDrop = Objects.requireNonNull(onDrop);
        this.pool = Objects.requireNonNull(pool);
        this.concurrency = concurrency;
        // a drain never holds more than the buffer could: a batch is no way round bufferSize; with
        // concurrency above 1 each drain takes one item at a time, so that n run at once
        this.batchSize = concurrency == 1 ? Math.min(BATCH, capacity) : 1;
        this.credits = unsettled > 0 ? new AtomicInteger(unsettled) : null;
        pool.demand(concurrency);
        this.slots = new Batch[concurrency];
        for (int i = 0; i < concurrency; i++) {
            slots[i] = new Batch(this);
        }
    }

    /**
     * Hands {@code item} to the handler, applying the overflow policy when the buffer is full.
     *
     * @return false if the queue is closed (the item was not taken); true if taken or dropped by policy
     * @throws BufferFullException under FAIL, or under BLOCK after the block timeout
     */
    public boolean offer(T item) {
        if (closed) {
            return false;
        }
        int added = buffer.offer(item);
        if (added == BoundedBuffer.ADDED) {
            signal();
            return true;
        }
        if (added == BoundedBuffer.CLOSED) {
            return false;
        }
        return overflow(item);
    }

    /** The buffer was full: the overflow policy decides. */
    private boolean overflow(T item) {
        int added;
        switch (overflow) {
            case DROP_NEWEST:
                full(1);
                onDrop.accept(item);
                return true;
            case DROP_OLDEST:
                do {
                    Object old = buffer.poll();
                    if (old != null) {
                        full(1);
                        @SuppressWarnings("unchecked")
                        T dropped = (T) old;
                        onDrop.accept(dropped);
                    }
                } while ((added = buffer.offer(item)) == BoundedBuffer.FULL);
                if (added == BoundedBuffer.CLOSED) {
                    return false;
                }
                signal();
                return true;
            case FAIL:
                full(0);
                throw new BufferFullException("buffer of subscription '" + name + "' is full (" + buffer.capacity()
                        + " messages); the handler is slower than the publishers: raise concurrency or bufferSize, "
                        + "or choose another overflow policy");
            case BLOCK:
            default:
                full(0);
                try {
                    added = buffer.offer(item, blockNanos);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new BufferFullException("interrupted while waiting for room in the buffer of subscription '" + name + "'");
                }
                if (added == BoundedBuffer.ADDED) {
                    signal();
                    return true;
                }
                if (added == BoundedBuffer.CLOSED) {
                    return false;
                }
                throw new BufferFullException("buffer of subscription '" + name + "' stayed full for "
                        + Duration.ofNanos(blockNanos) + "; the handler is slower than the publishers: raise concurrency "
                        + "or bufferSize, or choose another overflow policy");
        }
    }

    /** Hands {@code item} to the handler only if the queue is open and has room; never blocks or drops. */
    public boolean tryOffer(T item) {
        if (closed || buffer.offer(item) != BoundedBuffer.ADDED) {
            return false;
        }
        signal();
        return true;
    }

    /** One item handed to the processor is settled: with a bound on unsettled items, another may go. */
    public void settled() {
        if (credits != null) {
            credits.incrementAndGet();
            if (!buffer.isEmpty()) {
                signal();
            }
        }
    }

    /** Items waiting in the buffer. */
    public int size() {
        return buffer.size();
    }

    public boolean isClosed() {
        return closed;
    }

    /**
     * Stops intake, waits up to {@code timeout} for running processors (then interrupts them) and
     * returns the items that were never started, in order. Idempotent; a second call returns an
     * empty list. Safe to call from a processor (its own drain is not waited for).
     */
    public List<T> close(Duration timeout) {
        synchronized (this) {
            if (closed) {
                return List.of();
            }
            closed = true;
        }
        pool.release(concurrency);
        long deadline = System.nanoTime() + timeout.toNanos();
        // oldest first: the rest of the calling drain's batch (when a handler closes its own
        // subscription), then what other drains had taken, then the buffer
        Batch own = CURRENT.get();
        boolean self = own != null && own.queue == this;
        List<T> result = self ? restOf(own) : new ArrayList<>();
        // an offer running now either got into the buffer before this, and is returned, or is refused
        List<T> left = new ArrayList<>();
        buffer.close(left);
        int mine = self ? 1 : 0;
        boolean interrupted = false;
        synchronized (this) {
            long rest;
            while (active.get() > mine && (rest = deadline - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, rest);
                } catch (InterruptedException e) {
                    interrupted = true;
                    break;
                }
            }
        }
        if (active.get() > mine) {
            LOG.warn("Handler of subscription '{}' still running after the shutdown timeout of {}; interrupting it", name, timeout);
            for (Batch b : slots) {
                b.interruptUnless(self ? own : null);
            }
        }
        synchronized (this) {
            harvested = true;
            if (unstarted != null) {
                result.addAll(unstarted);
                unstarted = null;
            }
        }
        result.addAll(left);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return result;
    }

    @SuppressWarnings("unchecked")
    private List<T> restOf(Batch mine) {
        List<T> own = new ArrayList<>();
        while (mine.next < mine.items.size()) {
            own.add((T) mine.items.get(mine.next++));
        }
        return own;
    }

    private void full(int droppedNow) {
        long d = fullWarning.occurred(droppedNow);
        if (d >= 0) {
            // its capacity, not its size now: a drain may have emptied it since the offer found it full
            LOG.warn("Slow consumer: buffer of subscription '{}' is full ({} messages, policy {}): {}", name, buffer.capacity(), overflow,
                    overflow == OverflowPolicy.BLOCK || overflow == OverflowPolicy.FAIL
                            ? "publishers are held back or refused; nothing is dropped"
                            : d + " messages dropped since the last warning");
        }
    }

    /** After an item entered the buffer (or a drain ended with items left): submits a drain if fewer run than may. */
    private void signal() {
        while (!closed) {
            int d = drains.get();
            if (d >= concurrency) {
                return; // as many drains as may run are on it; one takes this item before it stops
            }
            if (drains.compareAndSet(d, d + 1)) {
                try {
                    pool.execute(drain);
                } catch (RejectedExecutionException e) {
                    // the broker is shutting down: the item stays in the buffer, and close() returns it
                    drains.decrementAndGet();
                    LOG.debug("Handler pool shut down; subscription '{}' keeps {} items for close()", name, buffer.size());
                } catch (RuntimeException e) {
                    // a thread factory that failed: the item stays in the buffer for the next offer or close()
                    drains.decrementAndGet();
                    LOG.error("Could not start a handler thread for subscription '{}': {}", name, e.toString(), e);
                }
                return;
            }
        }
    }

    /** One run on a pool thread: batches until the buffer is empty, the queue closes, or other work waits. */
    @SuppressWarnings("unchecked")
    private void run() {
        Batch b = claim();
        CURRENT.set(b);
        active.incrementAndGet();
        try {
            while (!closed) {
                int want = reserve(batchSize);
                int got = want == 0 ? 0 : buffer.drainTo(b.items, want);
                if (credits != null && got < want) {
                    credits.addAndGet(want - got);
                }
                if (got == 0) {
                    if (want > 0 && linger()) {
                        continue; // more came while this drain still ran: taken without a new submission
                    }
                    break;
                }
                // by index: a processor that closes this queue takes the rest of the batch (see close)
                while (b.next < b.items.size()) {
                    T item = (T) b.items.get(b.next++);
                    if (closed) {
                        leftOver(item);
                        continue;
                    }
                    try {
                        processor.accept(item);
                    } catch (RuntimeException | Error e) {
                        // the processor must not throw; if it does, the drain goes on with the next item
                        LOG.error("Processing an item of subscription '{}' failed; going on with the next: {}", name, e.toString(), e);
                    }
                }
                b.items.clear();
                b.next = 0;
                if (pool.othersWaiting()) {
                    break; // yield: submitted again below, behind the work that waits
                }
            }
        } finally {
            CURRENT.remove();
            b.release();
            if (active.decrementAndGet() == 0 && closed) {
                synchronized (this) {
                    notifyAll();
                }
            }
            // after the decrement: an offer that saw this drain still counted has already put its item in the buffer
            drains.decrementAndGet();
            if (!buffer.isEmpty() && (credits == null || credits.get() > 0)) {
                signal();
            }
        }
    }

    /**
     * With the buffer empty, waits a little for the next item before the drain ends: a publisher
     * that offers faster than a pool thread wakes up (microseconds) then keeps finding its drain
     * running, so an offer costs the buffer insert alone instead of a submission to the pool and
     * a wake-up per item. The wait adapts per queue, between {@link #LINGER_MIN_NANOS} and
     * {@link #LINGER_MAX_NANOS}: doubled when an item came, halved when none did, so a queue with
     * sparse traffic spins only briefly; it yields its core now and then, so that on a busy machine
     * it does not hold up the thread it waits for. Gives up at once when the queue closes or other
     * work waits for a pool thread.
     *
     * @return true if an item is there to take
     */
    private boolean linger() {
        long limit = lingerNanos;
        long start = System.nanoTime();
        int spins = 0;
        while (!closed) {
            if (!buffer.isEmpty()) {
                lingerNanos = Math.min(LINGER_MAX_NANOS, 2 * limit);
                return true;
            }
            if ((++spins & 7) == 0) {
                if (System.nanoTime() - start >= limit) {
                    lingerNanos = Math.max(LINGER_MIN_NANOS, limit / 2);
                    return false;
                }
                if (pool.othersWaiting()) {
                    return false;
                }
                // on a machine with fewer free cores than runnable threads, let the publisher run
                Thread.yield();
                continue;
            }
            Thread.onSpinWait();
        }
        return false;
    }

    /** Up to {@code max} items this drain may take now: all of them without a bound on unsettled items. */
    private int reserve(int max) {
        if (credits == null) {
            return max;
        }
        while (true) {
            int c = credits.get();
            if (c <= 0) {
                return 0;
            }
            int take = Math.min(c, max);
            if (credits.compareAndSet(c, c - take)) {
                return take;
            }
        }
    }

    private Batch claim() {
        Thread me = Thread.currentThread();
        while (true) {
            for (Batch b : slots) {
                if (b.claim(me)) {
                    return b;
                }
            }
            // unreachable while drains <= concurrency: every running drain holds one slot
            Thread.onSpinWait();
        }
    }

    /**
     * An item a drain took but did not start because the queue closed: into the list close() returns,
     * or, when close() already returned (a handler that outlived the timeout), to onDrop so that the
     * owner still hands it back.
     */
    private void leftOver(T item) {
        synchronized (this) {
            if (!harvested) {
                if (unstarted == null) {
                    unstarted = new ArrayList<>();
                }
                unstarted.add(item);
                return;
            }
        }
        onDrop.accept(item);
    }

    @Override
    public String toString() {
        // drains and credits too: buffered > 0 with no drain (and credits left) would be a lost wake-up
        return "DeliveryQueue{" + name + ", buffered=" + buffer.size() + ", concurrency=" + concurrency + ", drains=" + drains.get()
                + ", running=" + active.get() + (credits != null ? ", credits=" + credits.get() : "") + (closed ? ", closed" : "") + "}";
    }

    /** The pool's task for this queue: one object, submitted once per drain. */
    private final class Drain extends HandlerPool.Task {
        @Override
        public void run() {
            DeliveryQueue.this.run();
        }
    }

    /** What one drain took from the buffer, how far it got, and the thread running it. */
    private static final class Batch {
        final DeliveryQueue<?> queue;
        final List<Object> items = new ArrayList<>();
        int next;
        private Thread owner;

        Batch(DeliveryQueue<?> queue) {
            this.queue = queue;
        }

        synchronized boolean claim(Thread t) {
            if (owner != null) {
                return false;
            }
            owner = t;
            return true;
        }

        /** Under the lock that {@link #interruptUnless} takes: an interrupt meant for this queue's handler never reaches the next task of the thread. */
        synchronized void release() {
            owner = null;
            Thread.interrupted();
        }

        synchronized void interruptUnless(Batch self) {
            if (owner != null && this != self) {
                owner.interrupt();
            }
        }
    }
}
