package dev.omnibus.broker.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.OverflowPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("HandlerPool with DeliveryQueue mailboxes")
class HandlerPoolTest {
    private static final Duration LONG = Duration.ofSeconds(30);

    private final List<HandlerPool> pools = new ArrayList<>();
    private final List<DeliveryQueue<Integer>> queues = new ArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void tearDown() {
        release.countDown();
        queues.forEach(q -> q.close(Duration.ofMillis(500)));
        pools.forEach(HandlerPool::shutdown);
    }

    private HandlerPool pool(int core, int maxExtra, Duration keepAlive) {
        HandlerPool p = new HandlerPool("test-" + pools.size(), core, maxExtra, keepAlive, null);
        pools.add(p);
        return p;
    }

    private DeliveryQueue<Integer> queue(HandlerPool pool, String name, int concurrency, int capacity, Consumer<Integer> handler) {
        DeliveryQueue<Integer> q = new DeliveryQueue<>(name, concurrency, capacity, OverflowPolicy.BLOCK, LONG, handler, i -> { }, pool);
        queues.add(q);
        return q;
    }

    private void awaitRelease() {
        try {
            release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    @DisplayName("the constructor rejects a core size below 1")
    void validates() {
        assertThatThrownBy(() -> new HandlerPool("x", 0, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 1 core thread, was 0");
    }

    @Test
    @DisplayName("a busy subscription yields after a batch: another one's delivery runs long before the busy one is done")
    void batchesYield() {
        HandlerPool p = pool(1, 0, HandlerPool.KEEP_ALIVE);
        AtomicInteger busyDone = new AtomicInteger();
        AtomicInteger busyDoneWhenOtherRan = new AtomicInteger(-1);
        DeliveryQueue<Integer> busy = queue(p, "busy", 1, 10_000, i -> {
            long until = System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(50);
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            busyDone.incrementAndGet();
        });
        DeliveryQueue<Integer> other = queue(p, "other", 1, 16, i -> busyDoneWhenOtherRan.set(busyDone.get()));
        for (int i = 0; i < 10_000; i++) {
            busy.offer(i);
        }
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(1)).until(() -> busyDone.get() > 0);
        int before = busyDone.get();
        other.offer(0);
        await().atMost(Duration.ofSeconds(10)).until(() -> busyDoneWhenOtherRan.get() >= 0);
        assertThat(busyDoneWhenOtherRan.get() - before).as("busy items handled after the other subscription's one was offered")
                .isLessThan(2 * 64);
        assertThat(busyDoneWhenOtherRan.get()).as("the busy subscription was far from done").isLessThan(5_000);
        await().atMost(Duration.ofSeconds(30)).until(() -> busyDone.get() == 10_000);
        assertThat(p.threads()).isEqualTo(1);
    }

    @Test
    @DisplayName("with every thread blocked in a handler, the pool adds threads so that waiting deliveries run, and they retire when idle")
    void growsWhileHandlersBlock() {
        HandlerPool p = pool(2, 8, Duration.ofMillis(200));
        AtomicInteger running = new AtomicInteger();
        for (int i = 0; i < 6; i++) {
            DeliveryQueue<Integer> q = queue(p, "blocked-" + i, 1, 4, x -> {
                running.incrementAndGet();
                awaitRelease();
            });
            q.offer(i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> running.get() == 6);
        assertThat(p.threads()).isBetween(6, 10);
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> p.threads() == 2);
    }

    @Test
    @DisplayName("the pool never grows past core + its maximum of extra threads")
    void boundedGrowth() {
        HandlerPool p = pool(2, 3, HandlerPool.KEEP_ALIVE);
        AtomicInteger running = new AtomicInteger();
        for (int i = 0; i < 8; i++) {
            queue(p, "capped-" + i, 1, 4, x -> {
                running.incrementAndGet();
                awaitRelease();
            }).offer(i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> running.get() == 5);
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> running.get() == 5);
        assertThat(p.threads()).isEqualTo(5);
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> running.get() == 8);
    }

    /**
     * Chains of subscriptions with a buffer of 1 under BLOCK, whose handlers publish two messages
     * synchronously into the next one: the first fills its buffer, the second waits for room that
     * only that subscription's drain can make. With more chains than threads every thread ends up
     * waiting so, and the drains that would make room are queued behind them.
     */
    /** @return how many messages reached the tails (all: chains × messages × 2^(length-1)) */
    private int runChains(HandlerPool p, int chains, int length, int messages, Duration within) throws Exception {
        AtomicInteger arrived = new AtomicInteger();
        List<DeliveryQueue<Integer>> heads = new ArrayList<>();
        for (int c = 0; c < chains; c++) {
            DeliveryQueue<Integer> next = queue(p, "chain" + c + "-tail", 1, 1, x -> arrived.incrementAndGet());
            for (int k = length - 2; k >= 0; k--) {
                DeliveryQueue<Integer> downstream = next;
                next = queue(p, "chain" + c + "-" + k, 1, 1, x -> {
                    downstream.offer(x);
                    downstream.offer(x);
                });
            }
            heads.add(next);
        }
        List<Thread> publishers = new ArrayList<>();
        for (DeliveryQueue<Integer> head : heads) {
            Thread t = new Thread(() -> {
                for (int i = 0; i < messages; i++) {
                    if (!head.offer(i)) {
                        return;
                    }
                }
            }, "chain-publisher");
            t.setDaemon(true);
            t.start();
            publishers.add(t);
        }
        int total = chains * messages << (length - 1);
        try {
            await().atMost(within).pollInterval(Duration.ofMillis(20)).until(() -> arrived.get() == total);
        } catch (ConditionTimeoutException stalled) {
            // the caller asserts on what arrived
        }
        return arrived.get();
    }

    @Test
    @DisplayName("handlers that block publishing into each other's full buffers do not deadlock the pool (more chains than threads)")
    void blockingChainsComplete() throws Exception {
        HandlerPool p = pool(2, HandlerPool.MAX_EXTRA_THREADS, HandlerPool.KEEP_ALIVE);
        int chains = 8;
        int messages = 20;
        int arrived = runChains(p, chains, 3, messages, Duration.ofSeconds(60));
        assertThat(arrived).as("messages through all chains").isEqualTo(chains * messages * 4);
        assertThat(p.threads()).as("threads never beyond the maximum").isLessThanOrEqualTo(p.maxThreads());
    }

    @Test
    @DisplayName("the same chains on a fixed pool of the same core size deadlock: what growth prevents")
    void blockingChainsDeadlockAFixedPool() throws Exception {
        HandlerPool p = pool(2, 0, HandlerPool.KEEP_ALIVE);
        int chains = 8;
        int messages = 20;
        int arrived = runChains(p, chains, 3, messages, Duration.ofSeconds(3));
        assertThat(arrived).as("a fixed pool of 2 stalls").isLessThan(chains * messages * 4);
    }

    @Test
    @DisplayName("close interrupts a handler that outlives the timeout, and the interrupt does not leak into the thread's next handler")
    void closeInterruptsOnlyTheLateHandler() throws Exception {
        HandlerPool p = pool(1, 0, HandlerPool.KEEP_ALIVE);
        CountDownLatch started = new CountDownLatch(1);
        AtomicInteger interrupted = new AtomicInteger();
        DeliveryQueue<Integer> late = queue(p, "late", 1, 4, x -> {
            started.countDown();
            try {
                new CountDownLatch(1).await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                interrupted.incrementAndGet();
            }
        });
        List<Boolean> nextSawInterrupt = new CopyOnWriteArrayList<>();
        DeliveryQueue<Integer> next = queue(p, "next", 1, 4, x -> nextSawInterrupt.add(Thread.currentThread().isInterrupted()));
        late.offer(0);
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        late.offer(1);
        long start = System.nanoTime();
        List<Integer> left = late.close(Duration.ofMillis(200));
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(150L, 5_000L);
        assertThat(left).containsExactly(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> interrupted.get() == 1);
        next.offer(0);
        await().atMost(Duration.ofSeconds(5)).until(() -> nextSawInterrupt.size() == 1);
        assertThat(nextSawInterrupt).containsExactly(false);
    }

    @Test
    @DisplayName("the pool's threads come from the given thread factory")
    void usesTheThreadFactory() {
        List<String> made = new CopyOnWriteArrayList<>();
        HandlerPool p = new HandlerPool("factory", 2, r -> {
            Thread t = new Thread(r, "made-" + made.size());
            t.setDaemon(true);
            made.add(t.getName());
            return t;
        });
        pools.add(p);
        List<String> ranOn = new CopyOnWriteArrayList<>();
        DeliveryQueue<Integer> q = queue(p, "f", 2, 16, x -> ranOn.add(Thread.currentThread().getName()));
        for (int i = 0; i < 20; i++) {
            q.offer(i);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> ranOn.size() == 20);
        assertThat(made).isNotEmpty().hasSizeLessThanOrEqualTo(2);
        assertThat(ranOn).allSatisfy(n -> assertThat(made).contains(n));
    }

    @Test
    @DisplayName("with a bound on unsettled items (manual ack's prefetch) no pool thread waits for a settle; settled() hands out the next")
    void unsettledBoundHoldsNoThread() {
        HandlerPool p = pool(2, 0, HandlerPool.KEEP_ALIVE);
        List<Integer> handed = new CopyOnWriteArrayList<>();
        DeliveryQueue<Integer> q = new DeliveryQueue<>("prefetch", 1, 16, OverflowPolicy.BLOCK, LONG, handed::add, i -> { }, p, 2);
        queues.add(q);
        for (int i = 0; i < 5; i++) {
            q.offer(i);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> handed.size() == 2);
        await().atMost(Duration.ofSeconds(5)).until(() -> p.busyThreads() == 0);
        assertThat(handed).containsExactly(0, 1);
        assertThat(q.size()).isEqualTo(3);
        q.settled();
        await().atMost(Duration.ofSeconds(5)).until(() -> handed.size() == 3);
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> handed.size() == 3);
        q.settled();
        q.settled();
        await().atMost(Duration.ofSeconds(5)).until(() -> handed.size() == 5);
        assertThat(handed).containsExactly(0, 1, 2, 3, 4);
        assertThat(q.close(Duration.ofSeconds(1))).isEmpty();
    }

    @Test
    @DisplayName("a subscription with a concurrency above the core runs that many handlers at once, without waiting for growth")
    void concurrencyAboveTheCore() {
        HandlerPool p = pool(2, 0, Duration.ofMillis(200));
        AtomicInteger running = new AtomicInteger();
        DeliveryQueue<Integer> q = queue(p, "wide", 5, 16, x -> {
            running.incrementAndGet();
            awaitRelease();
        });
        for (int i = 0; i < 8; i++) {
            q.offer(i);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> running.get() == 5);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> running.get() == 5);
        assertThat(p.maxThreads()).isEqualTo(5);
        release.countDown();
        await().atMost(Duration.ofSeconds(5)).until(() -> running.get() == 8);
        q.close(Duration.ofSeconds(1));
        assertThat(p.maxThreads()).as("the demand goes with the subscription").isEqualTo(2);
        await().atMost(Duration.ofSeconds(10)).until(() -> p.threads() == 2);
    }
}
