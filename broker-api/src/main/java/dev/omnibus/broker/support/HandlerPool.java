package dev.omnibus.broker.support;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The threads that run the handlers of one broker's subscriptions, shared by all of them: each
 * subscription's {@link DeliveryQueue} is a mailbox that this pool drains, so the number of
 * threads does not grow with the number of subscriptions.
 *
 * <p><b>Size:</b> {@code coreThreads} threads (default {@link #defaultCoreThreads()}: twice the
 * available processors, at least {@link #MIN_CORE_THREADS}), made when first needed. Handlers may
 * block (a publish into a full buffer under BLOCK, a request, I/O), and a fixed pool whose
 * threads all wait for work that needs a pool thread would deadlock; so when queued work has
 * waited longer than {@link #STARVATION_THRESHOLD} while every thread is busy, the pool adds one
 * thread, and again after each further threshold, up to {@link #MAX_EXTRA_THREADS} beyond the base.
 * The base is the core, or, while a subscription with a higher {@code concurrency} lives, that
 * concurrency: a subscription can always run as many handlers at once as it asks for.
 * An extra thread retires once it has been idle for {@link #KEEP_ALIVE}. At the maximum the pool
 * warns (at most once per {@link DeliveryQueue#WARN_INTERVAL}) and queued work waits.
 *
 * <p><b>Thread factory:</b> with one (e.g. {@code Thread.ofVirtual().factory()}), the pool's
 * threads come from it and the same bound applies: it limits how many handlers run at once, not
 * how many platform threads exist (virtual threads share the JDK's carrier threads). Without one,
 * the threads are daemon platform threads named {@code omnibus-handler-<broker>-<n>}. Either way
 * one more daemon platform thread, {@code omnibus-handler-<broker>-watchdog}, checks for
 * starvation every {@link #STARVATION_THRESHOLD}.
 */
public final class HandlerPool {
    /** Least number of core threads. */
    public static final int MIN_CORE_THREADS = 4;
    /** How many threads the pool adds at most, beyond its core, while handlers block. */
    public static final int MAX_EXTRA_THREADS = 256;
    /** How long queued work waits, with every thread busy, before the pool adds a thread. */
    public static final Duration STARVATION_THRESHOLD = Duration.ofMillis(50);
    /** How long an extra thread stays idle before it retires. */
    public static final Duration KEEP_ALIVE = Duration.ofSeconds(30);

    private static final Logger LOG = LoggerFactory.getLogger(HandlerPool.class);

    private final String name;
    private final int coreThreads;
    private final int maxExtraThreads;
    /** Live demands above the core: concurrency → how many subscriptions ask for it; guarded by itself. */
    private final java.util.TreeMap<Integer, Integer> demands = new java.util.TreeMap<>();
    /** The core, or the highest live demand. */
    private volatile int base;
    private final ThreadPoolExecutor executor;
    private final Thread watchdog;
    private volatile boolean shutdown;
    private final WarningThrottle busyWarning = new WarningThrottle();

    /** Twice the available processors, at least {@link #MIN_CORE_THREADS}. */
    public static int defaultCoreThreads() {
        return Math.max(MIN_CORE_THREADS, 2 * Runtime.getRuntime().availableProcessors());
    }

    /**
     * @param name          shown in thread names and warnings (the broker's name and node id, say)
     * @param coreThreads   threads kept while the pool lives (at least 1)
     * @param threadFactory makes the pool's threads; null for named daemon platform threads
     */
    public HandlerPool(String name, int coreThreads, ThreadFactory threadFactory) {
        this(name, coreThreads, MAX_EXTRA_THREADS, KEEP_ALIVE, threadFactory);
    }

    /** For tests: another maximum of extra threads (0: a fixed pool) and keep-alive. */
    HandlerPool(String name, int coreThreads, int maxExtraThreads, Duration keepAlive, ThreadFactory threadFactory) {
        if (coreThreads < 1) {
            throw new IllegalArgumentException("a handler pool needs at least 1 core thread, was " + coreThreads);
        }
        this.name = Objects.requireNonNull(name);
        this.coreThreads = coreThreads;
        this.maxExtraThreads = maxExtraThreads;
        this.base = coreThreads;
        AtomicInteger n = new AtomicInteger();
        ThreadFactory made = threadFactory == null ? r -> {
            Thread t = new Thread(r, "omnibus-handler-" + name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        } : r -> {
            Thread t = threadFactory.newThread(r);
            if (t == null) {
                throw new IllegalStateException("the handler thread factory " + threadFactory + " returned no thread for the handler pool of "
                        + name + "; BrokerOptions.threadFactory must return a new, unstarted thread");
            }
            return t;
        };
        // growth is this class's business (setCorePoolSize): the executor's own maximum never binds
        this.executor = new ThreadPoolExecutor(coreThreads, Integer.MAX_VALUE, keepAlive.toNanos(), TimeUnit.NANOSECONDS,
                new LinkedBlockingQueue<>(), made);
        this.watchdog = new Thread(this::watch, "omnibus-handler-" + name + "-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    /** Work the pool runs: a drain of one mailbox. Knows when it was queued, so that the pool sees starvation. */
    abstract static class Task implements Runnable {
        volatile long queuedAt;
    }

    /** @throws RejectedExecutionException once the pool is shut down */
    void execute(Task task) {
        task.queuedAt = System.nanoTime();
        executor.execute(task);
    }

    /**
     * Runs {@code work} on a pool thread, e.g. a backend's hand-off that waits for room in a full
     * buffer so that its client's thread need not; it counts as busy like a handler for the growth rule.
     *
     * @throws RejectedExecutionException once the pool is shut down
     */
    public void execute(Runnable work) {
        Objects.requireNonNull(work);
        execute(new Task() {
            @Override
            public void run() {
                work.run();
            }
        });
    }

    /** True if work is queued for a thread: a busy drain should then yield after its batch. */
    boolean othersWaiting() {
        return !executor.getQueue().isEmpty();
    }

    /** The pool's live threads now. */
    public int threads() {
        return executor.getPoolSize();
    }

    /** Threads running a drain now (approximate). */
    public int busyThreads() {
        return executor.getActiveCount();
    }

    /** Its core size. */
    public int coreThreads() {
        return coreThreads;
    }

    /** Its most threads now: the base (core, or the highest live concurrency above it) plus {@link #MAX_EXTRA_THREADS}. */
    public int maxThreads() {
        return base + maxExtraThreads;
    }

    /**
     * A subscription that may run {@code concurrency} handlers at once: while it lives the pool keeps
     * at least that many threads (when more than the core). Pair with {@link #release(int)}.
     */
    void demand(int concurrency) {
        if (concurrency <= coreThreads) {
            return;
        }
        synchronized (demands) {
            demands.merge(concurrency, 1, Integer::sum);
            int b = Math.max(coreThreads, demands.lastKey());
            base = b;
            if (executor.getCorePoolSize() < b) {
                executor.setCorePoolSize(b);
            }
        }
    }

    /** The subscription of a {@link #demand(int)} is gone. */
    void release(int concurrency) {
        if (concurrency <= coreThreads) {
            return;
        }
        synchronized (demands) {
            demands.computeIfPresent(concurrency, (k, n) -> n > 1 ? n - 1 : null);
            base = demands.isEmpty() ? coreThreads : Math.max(coreThreads, demands.lastKey());
            // extra threads retire once idle: the watchdog lowers the core when nothing waits
        }
    }

    public boolean isShutdown() {
        return shutdown;
    }

    /**
     * Stops taking work; queued drains still run (they find their queues closed and return at
     * once) and the threads end. Running handlers are not interrupted here: closing their queues does that.
     */
    public void shutdown() {
        shutdown = true;
        executor.shutdown();
        LockSupport.unpark(watchdog);
    }

    private void watch() {
        long tick = STARVATION_THRESHOLD.toNanos();
        while (!shutdown) {
            LockSupport.parkNanos(this, tick);
            if (shutdown) {
                return;
            }
            try {
                check(tick);
            } catch (RuntimeException e) {
                LOG.warn("Handler pool of {}: starvation check failed: {}", name, e.toString());
            }
        }
    }

    private void check(long threshold) {
        Runnable head = executor.getQueue().peek();
        if (head == null) {
            // nothing waits: let extra threads go once idle for KEEP_ALIVE
            int b = base;
            if (executor.getCorePoolSize() > b) {
                synchronized (demands) {
                    executor.setCorePoolSize(base);
                }
            }
            return;
        }
        long waited = System.nanoTime() - ((Task) head).queuedAt;
        if (waited < threshold) {
            return;
        }
        int size = executor.getPoolSize();
        if (executor.getActiveCount() < size) {
            return;
        }
        int max = maxThreads();
        if (size < max) {
            int grown = Math.min(max, Math.max(size, executor.getCorePoolSize()) + 1);
            LOG.debug("Handler pool of {}: all {} threads busy and work waiting for {} ms; adding a thread",
                    name, size, TimeUnit.NANOSECONDS.toMillis(waited));
            executor.setCorePoolSize(grown);
        } else {
            if (busyWarning.ready()) {
                LOG.warn("Handler pool of {}: all {} threads are busy (the maximum) and deliveries have waited {} ms for one;"
                        + " handlers that block for long hold the others up", name, size, TimeUnit.NANOSECONDS.toMillis(waited));
            }
        }
    }

    @Override
    public String toString() {
        return "HandlerPool{" + name + ", threads=" + threads() + ", core=" + coreThreads + ", max=" + maxThreads() + "}";
    }
}
