package dev.omnibus.broker.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.BufferFullException;
import dev.omnibus.broker.LogCapture;
import dev.omnibus.broker.OverflowPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("DeliveryQueue")
class DeliveryQueueTest {
    private static final Duration LONG = Duration.ofSeconds(10);
    private static final AtomicInteger NAMES = new AtomicInteger();

    private final List<DeliveryQueue<Integer>> queues = new ArrayList<>();
    private final Recorder recorder = new Recorder();
    private final List<Integer> dropped = new CopyOnWriteArrayList<>();
    private final HandlerPool pool = new HandlerPool("test", 4, null);

    @AfterEach
    void closeQueues() {
        recorder.releaseAll();
        queues.forEach(q -> q.close(Duration.ofSeconds(2)));
        pool.shutdown();
    }

    private DeliveryQueue<Integer> queue(int concurrency, int capacity, OverflowPolicy policy, Duration blockTimeout) {
        return queue("q" + NAMES.incrementAndGet(), concurrency, capacity, policy, blockTimeout, recorder);
    }

    private DeliveryQueue<Integer> queue(String name, int concurrency, int capacity, OverflowPolicy policy, Duration blockTimeout,
            Consumer<Integer> processor) {
        DeliveryQueue<Integer> q = new DeliveryQueue<>(name, concurrency, capacity, policy, blockTimeout, processor, dropped::add, pool);
        queues.add(q);
        return q;
    }

    /** Records processed items; items marked with {@link #blockOn} wait until released. */
    static final class Recorder implements Consumer<Integer> {
        final List<Integer> processed = new CopyOnWriteArrayList<>();
        final Map<Integer, CountDownLatch> started = new ConcurrentHashMap<>();
        final Map<Integer, CountDownLatch> release = new ConcurrentHashMap<>();
        final Map<Integer, Runnable> actions = new ConcurrentHashMap<>();

        void blockOn(int item) {
            started.put(item, new CountDownLatch(1));
            release.put(item, new CountDownLatch(1));
        }

        void onItem(int item, Runnable action) {
            actions.put(item, action);
        }

        @Override
        public void accept(Integer item) {
            processed.add(item);
            Runnable action = actions.get(item);
            if (action != null) {
                action.run();
            }
            CountDownLatch s = started.get(item);
            if (s != null) {
                s.countDown();
                try {
                    release.get(item).await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        void awaitStarted(int item) throws InterruptedException {
            assertThat(started.get(item).await(5, TimeUnit.SECONDS)).as("item %s started", item).isTrue();
        }

        void release(int item) {
            release.get(item).countDown();
        }

        void releaseAll() {
            release.values().forEach(CountDownLatch::countDown);
        }
    }

    private static List<Integer> range(int from, int toExclusive) {
        return IntStream.range(from, toExclusive).boxed().collect(Collectors.toList());
    }

    @Test
    @DisplayName("the constructor rejects concurrency or capacity below 1")
    void constructorValidates() {
        assertThatThrownBy(() -> new DeliveryQueue<Integer>("x", 0, 1, OverflowPolicy.BLOCK, LONG, i -> { }, i -> { }, pool))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("were 0 and 1");
        assertThatThrownBy(() -> new DeliveryQueue<Integer>("x", 1, 0, OverflowPolicy.BLOCK, LONG, i -> { }, i -> { }, pool))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("were 1 and 0");
    }

    @Test
    @DisplayName("with concurrency 1 items are processed one at a time in the order offered")
    void orderAtConcurrencyOne() {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger maxRunning = new AtomicInteger();
        List<Integer> seen = new CopyOnWriteArrayList<>();
        DeliveryQueue<Integer> q = queue("ordered", 1, 16, OverflowPolicy.BLOCK, LONG, i -> {
            maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
            seen.add(i);
            running.decrementAndGet();
        });
        for (int i = 0; i < 5000; i++) {
            assertThat(q.offer(i)).isTrue();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 5000);
        assertThat(seen).containsExactlyElementsOf(range(0, 5000));
        assertThat(maxRunning.get()).isEqualTo(1);
    }

    @Test
    @DisplayName("with concurrency n exactly n items run at once, never more")
    void concurrencyBound() {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger maxRunning = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        List<Integer> done = new CopyOnWriteArrayList<>();
        DeliveryQueue<Integer> q = queue("parallel", 3, 100, OverflowPolicy.BLOCK, LONG, i -> {
            maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            running.decrementAndGet();
            done.add(i);
        });
        for (int i = 0; i < 10; i++) {
            q.offer(i);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> running.get() == 3);
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> running.get() == 3);
        assertThat(q.size()).isEqualTo(7);
        release.countDown();
        await().atMost(Duration.ofSeconds(5)).until(() -> done.size() == 10);
        assertThat(maxRunning.get()).isEqualTo(3);
        assertThat(done).containsExactlyInAnyOrderElementsOf(range(0, 10));
    }

    @Nested
    @DisplayName("when the buffer is full")
    class Overflow {

        @Test
        @DisplayName("BLOCK waits for the block timeout, then throws BufferFullException naming the queue")
        void blockTimesOut() throws Exception {
            DeliveryQueue<Integer> q = queue("blocky", 1, 1, OverflowPolicy.BLOCK, Duration.ofMillis(300), recorder);
            recorder.blockOn(0);
            q.offer(0);
            recorder.awaitStarted(0);
            assertThat(q.offer(1)).isTrue();
            long start = System.nanoTime();
            assertThatThrownBy(() -> q.offer(2))
                    .isInstanceOf(BufferFullException.class)
                    .hasMessageContaining("'blocky'").hasMessageContaining("stayed full for PT0.3S");
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(elapsedMs).isBetween(250L, 5000L);
            assertThat(dropped).isEmpty();
            recorder.release(0);
            await().atMost(Duration.ofSeconds(5)).until(() -> recorder.processed.size() == 2);
            await().during(Duration.ofMillis(100)).atMost(Duration.ofSeconds(2)).until(() -> !recorder.processed.contains(2));
            assertThat(recorder.processed).containsExactly(0, 1);
        }

        @Test
        @DisplayName("BLOCK waiting for room is refused at once when the queue closes, not held until the block timeout")
        void blockRefusedOnClose() throws Exception {
            DeliveryQueue<Integer> q = queue(1, 1, OverflowPolicy.BLOCK, LONG);
            recorder.blockOn(0);
            q.offer(0);
            recorder.awaitStarted(0);
            assertThat(q.offer(1)).isTrue();
            CompletableFuture<Boolean> blocked = CompletableFuture.supplyAsync(() -> q.offer(2));
            await().atMost(Duration.ofSeconds(5)).during(Duration.ofMillis(100)).until(() -> !blocked.isDone());
            CompletableFuture<List<Integer>> closing = CompletableFuture.supplyAsync(() -> q.close(Duration.ofSeconds(5)));
            assertThat(blocked.get(2, TimeUnit.SECONDS)).as("the waiting offer was refused: the item is the caller's again").isFalse();
            recorder.release(0);
            assertThat(closing.get(5, TimeUnit.SECONDS)).containsExactly(1);
            assertThat(recorder.processed).containsExactly(0);
        }

        @Test
        @DisplayName("BLOCK returns as soon as room appears within the timeout")
        void blockSucceedsWhenRoomAppears() throws Exception {
            DeliveryQueue<Integer> q = queue(1, 1, OverflowPolicy.BLOCK, LONG);
            recorder.blockOn(0);
            q.offer(0);
            recorder.awaitStarted(0);
            q.offer(1);
            CompletableFuture<Boolean> blocked = CompletableFuture.supplyAsync(() -> q.offer(2));
            await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> !blocked.isDone());
            recorder.release(0);
            assertThat(blocked.get(5, TimeUnit.SECONDS)).isTrue();
            await().atMost(Duration.ofSeconds(5)).until(() -> recorder.processed.size() == 3);
            assertThat(recorder.processed).containsExactly(0, 1, 2);
        }

        @Test
        @DisplayName("FAIL throws BufferFullException at once, without waiting for the block timeout")
        void failIsImmediate() throws Exception {
            DeliveryQueue<Integer> q = queue("failing", 1, 1, OverflowPolicy.FAIL, Duration.ofSeconds(30), recorder);
            recorder.blockOn(0);
            q.offer(0);
            recorder.awaitStarted(0);
            q.offer(1);
            long start = System.nanoTime();
            assertThatThrownBy(() -> q.offer(2))
                    .isInstanceOf(BufferFullException.class)
                    .hasMessageContaining("'failing' is full").hasMessageContaining("raise concurrency or bufferSize");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1000);
            assertThat(q.tryOffer(3)).as("tryOffer never blocks or throws").isFalse();
            recorder.release(0);
            await().atMost(Duration.ofSeconds(5)).until(() -> recorder.processed.size() == 2);
            assertThat(recorder.processed).containsExactly(0, 1);
            assertThat(dropped).isEmpty();
        }

        @Test
        @DisplayName("DROP_NEWEST drops the offered item, reports it to onDrop and keeps the buffered ones")
        void dropNewest() throws Exception {
            DeliveryQueue<Integer> q = queue(1, 2, OverflowPolicy.DROP_NEWEST, LONG);
            recorder.blockOn(0);
            q.offer(0);
            recorder.awaitStarted(0);
            q.offer(1);
            q.offer(2);
            assertThat(q.offer(3)).isTrue();
            assertThat(q.offer(4)).isTrue();
            assertThat(dropped).containsExactly(3, 4);
            assertThat(q.size()).isEqualTo(2);
            recorder.release(0);
            await().atMost(Duration.ofSeconds(5)).until(() -> recorder.processed.size() == 3);
            await().during(Duration.ofMillis(100)).atMost(Duration.ofSeconds(2)).until(() -> recorder.processed.size() == 3);
            assertThat(recorder.processed).containsExactly(0, 1, 2);
        }

        @Test
        @DisplayName("DROP_OLDEST drops the oldest buffered item, reports it to onDrop and keeps the newest")
        void dropOldest() throws Exception {
            DeliveryQueue<Integer> q = queue(1, 2, OverflowPolicy.DROP_OLDEST, LONG);
            recorder.blockOn(0);
            q.offer(0);
            recorder.awaitStarted(0);
            q.offer(1);
            q.offer(2);
            assertThat(q.offer(3)).isTrue();
            assertThat(q.offer(4)).isTrue();
            assertThat(dropped).containsExactly(1, 2);
            recorder.release(0);
            await().atMost(Duration.ofSeconds(5)).until(() -> recorder.processed.size() == 3);
            await().during(Duration.ofMillis(100)).atMost(Duration.ofSeconds(2)).until(() -> recorder.processed.size() == 3);
            assertThat(recorder.processed).containsExactly(0, 3, 4);
        }

        @Test
        @DisplayName("a full buffer logs one slow-consumer warning naming the queue and policy, rate-limited")
        void slowConsumerWarning() throws Exception {
            String name = "slowpoke-" + NAMES.incrementAndGet();
            try (LogCapture log = LogCapture.start()) {
                DeliveryQueue<Integer> q = queue(name, 1, 1, OverflowPolicy.FAIL, LONG, recorder);
                recorder.blockOn(0);
                q.offer(0);
                recorder.awaitStarted(0);
                q.offer(1);
                assertThat(log.text()).doesNotContain(name);
                for (int i = 2; i < 5; i++) {
                    int item = i;
                    assertThatThrownBy(() -> q.offer(item)).isInstanceOf(BufferFullException.class);
                }
                String warning = "Slow consumer: buffer of subscription '" + name + "' is full (1 messages, policy FAIL)";
                await().atMost(Duration.ofSeconds(5)).until(() -> log.text().contains(warning));
                assertThat(log.text()).contains("WARN");
                assertThat(log.count("subscription '" + name + "'")).as("rate-limited to one warning per interval").isEqualTo(1);
            }
        }

        @Test
        @DisplayName("the slow-consumer warning of a dropping queue counts the dropped items")
        void slowConsumerWarningCountsDrops() throws Exception {
            String name = "dropper-" + NAMES.incrementAndGet();
            try (LogCapture log = LogCapture.start()) {
                DeliveryQueue<Integer> q = queue(name, 1, 1, OverflowPolicy.DROP_NEWEST, LONG, recorder);
                recorder.blockOn(0);
                q.offer(0);
                recorder.awaitStarted(0);
                q.offer(1);
                q.offer(2);
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> log.text().contains("'" + name + "' is full (1 messages, policy DROP_NEWEST): 1 messages dropped"));
            }
        }

        @Test
        @DisplayName("the slow-consumer warning gives the buffer's capacity, also when the warning comes after an item left it")
        void slowConsumerWarningGivesCapacity() throws Exception {
            String name = "oldest-" + NAMES.incrementAndGet();
            try (LogCapture log = LogCapture.start()) {
                // DROP_OLDEST warns after taking the oldest item out: the buffer then holds one less than it can
                DeliveryQueue<Integer> q = queue(name, 1, 2, OverflowPolicy.DROP_OLDEST, LONG, recorder);
                recorder.blockOn(0);
                q.offer(0);
                recorder.awaitStarted(0);
                q.offer(1);
                q.offer(2);
                q.offer(3);
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> log.text().contains("'" + name + "' is full (2 messages, policy DROP_OLDEST): 1 messages dropped"));
            }
        }
    }

    @Nested
    @DisplayName("close")
    class Close {

        @Test
        @DisplayName("waits for the running item, returns the unstarted ones in order and refuses new ones")
        void returnsUnstartedInOrder() throws Exception {
            DeliveryQueue<Integer> q = queue(1, 10, OverflowPolicy.BLOCK, LONG);
            recorder.blockOn(0);
            q.offer(0);
            recorder.awaitStarted(0);
            for (int i = 1; i <= 5; i++) {
                q.offer(i);
            }
            CompletableFuture<List<Integer>> closing = CompletableFuture.supplyAsync(() -> q.close(LONG));
            await().atMost(Duration.ofSeconds(5)).until(q::isClosed);
            await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> !closing.isDone());
            assertThat(q.offer(6)).as("closed queues take nothing").isFalse();
            assertThat(q.tryOffer(7)).isFalse();
            recorder.release(0);
            assertThat(closing.get(5, TimeUnit.SECONDS)).containsExactly(1, 2, 3, 4, 5);
            await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> recorder.processed.size() == 1);
            assertThat(recorder.processed).containsExactly(0);
            assertThat(q.close(LONG)).as("second close").isEmpty();
        }

        @Test
        @DisplayName("items already taken into a worker's batch come back before later buffered items")
        void unstartedBatchComesFirst() throws Exception {
            DeliveryQueue<Integer> q = queue(1, 32, OverflowPolicy.BLOCK, LONG);
            recorder.blockOn(0);
            recorder.blockOn(1);
            q.offer(0);
            recorder.awaitStarted(0);
            for (int i = 1; i <= 10; i++) {
                q.offer(i);
            }
            recorder.release(0);       // the worker now takes 1..10 as one batch and blocks in 1
            recorder.awaitStarted(1);
            assertThat(q.size()).isZero();
            for (int i = 11; i <= 15; i++) {
                q.offer(i);
            }
            CompletableFuture<List<Integer>> closing = new CompletableFuture<>();
            Thread closer = new Thread(() -> closing.complete(q.close(LONG)), "closer");
            closer.start();
            // the closer has drained the buffer and is waiting (join) for the worker, which is still in item 1
            await().atMost(Duration.ofSeconds(5)).until(() -> closer.getState() == Thread.State.TIMED_WAITING);
            assertThat(q.isClosed()).isTrue();
            recorder.release(1);
            assertThat(closing.get(5, TimeUnit.SECONDS)).containsExactlyElementsOf(range(2, 16));
            assertThat(recorder.processed).containsExactly(0, 1);
        }

        @ParameterizedTest(name = "[{index}] concurrency {0}")
        @ValueSource(ints = {1, 4})
        @DisplayName("while a publisher is offering: every accepted item is processed or returned exactly once, none runs after close")
        void noLossNoProcessingAfterClose(int concurrency) throws Exception {
            List<Integer> processed = Collections.synchronizedList(new ArrayList<>());
            AtomicLong afterClose = new AtomicLong();
            AtomicReference<Boolean> closedFlag = new AtomicReference<>(false);
            DeliveryQueue<Integer> q = queue("busy" + concurrency, concurrency, 64, OverflowPolicy.BLOCK, LONG, i -> {
                if (closedFlag.get()) {
                    afterClose.incrementAndGet();
                }
                processed.add(i);
            });
            List<Integer> accepted = Collections.synchronizedList(new ArrayList<>());
            CompletableFuture<Void> publisher = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 1_000_000; i++) {
                    if (!q.offer(i)) {
                        return;
                    }
                    accepted.add(i);
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> processed.size() >= 500);
            List<Integer> returned = q.close(LONG);
            closedFlag.set(true);
            publisher.get(10, TimeUnit.SECONDS);
            int processedAtClose = processed.size();
            await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> processed.size() == processedAtClose);
            assertThat(afterClose.get()).isZero();

            Set<Integer> all = new HashSet<>(processed);
            assertThat(all).as("no item processed twice").hasSize(processed.size());
            assertThat(returned).as("returned items were not processed").doesNotContainAnyElementsOf(processed);
            all.addAll(returned);
            assertThat(all).hasSize(processed.size() + returned.size());
            assertThat(all).as("nothing lost").isEqualTo(new HashSet<>(accepted));
            if (concurrency == 1) {
                assertThat(processed).as("processed in order").isSorted();
            }
        }

        @ParameterizedTest(name = "[{index}] concurrency {0}")
        @ValueSource(ints = {1, 3})
        @DisplayName("close called from inside a handler does not deadlock and ends every drain of the queue")
        void closeFromWorker(int concurrency) throws Exception {
            String name = "selfclose" + NAMES.incrementAndGet();
            AtomicReference<DeliveryQueue<Integer>> self = new AtomicReference<>();
            CompletableFuture<List<Integer>> result = new CompletableFuture<>();
            DeliveryQueue<Integer> q = queue(name, concurrency, 4, OverflowPolicy.BLOCK, LONG, i -> {
                if (i == 0) {
                    long start = System.nanoTime();
                    List<Integer> left = self.get().close(Duration.ofSeconds(30));
                    if (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5)) {
                        result.complete(left);
                    } else {
                        result.completeExceptionally(new AssertionError("close from a worker waited for itself"));
                    }
                }
            });
            self.set(q);
            q.offer(0);
            assertThat(result.get(10, TimeUnit.SECONDS)).isEmpty();
            assertThat(q.isClosed()).isTrue();
            assertThat(q.offer(1)).isFalse();
            await().atMost(Duration.ofSeconds(10)).until(() -> pool.busyThreads() == 0);
        }

        @Test
        @DisplayName("close from inside a worker returns the rest of that worker's batch")
        void closeFromWorkerReturnsRestOfBatch() throws Exception {
            AtomicReference<DeliveryQueue<Integer>> self = new AtomicReference<>();
            CompletableFuture<List<Integer>> result = new CompletableFuture<>();
            recorder.blockOn(0);
            recorder.onItem(1, () -> result.complete(self.get().close(LONG)));
            DeliveryQueue<Integer> q = queue(1, 8, OverflowPolicy.BLOCK, LONG);
            self.set(q);
            q.offer(0);
            recorder.awaitStarted(0);
            q.offer(1);
            q.offer(2);
            q.offer(3);
            recorder.release(0); // the worker takes 1, 2, 3 as one batch; 1 closes the queue
            assertThat(result.get(10, TimeUnit.SECONDS)).containsExactly(2, 3);
            assertThat(recorder.processed).containsExactly(0, 1);
        }
    }
}
