package dev.omnibus.broker.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.Event;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Subscription;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Kit group "Concurrency": many subscribes at once and members leaving mid-stream. Run by {@link BrokerCompatibilityKit}; the numbers in
 * the display names are those of the kit's catalogue, {@code broker-tck/BEHAVIOURS.md}.
 */
public abstract class ConcurrencyTests extends KitGroup {
    protected ConcurrencyTests(BrokerCompatibilityKit kit) {
        super(kit);
    }
    @Test
    @DisplayName("48. 20 subscriptions on 20 topics created at once from 20 threads of one broker: each gets all of its 100 messages; the connection is never lost")
    void concurrentSubscribes() throws Exception {
        Broker b = connected("subscriber");
        Broker pub = connected("pub");
        int subs = 20;
        int count = 100;
        java.time.Instant upSince = b.health().since();
        List<String> topics = IntStream.range(0, subs).mapToObj(i -> topic("t" + i)).collect(Collectors.toList());
        List<Inbox> inboxes = IntStream.range(0, subs).mapToObj(i -> new Inbox()).collect(Collectors.toList());
        ExecutorService pool = Executors.newFixedThreadPool(subs);
        try (LogCapture log = LogCapture.start()) {
            CountDownLatch ready = new CountDownLatch(subs);
            CountDownLatch go = new CountDownLatch(1);
            List<java.util.concurrent.Future<Subscription>> subscribing = new ArrayList<>();
            for (int i = 0; i < subs; i++) {
                int k = i;
                subscribing.add(pool.submit(() -> {
                    ready.countDown();
                    go.await();
                    return b.subscribe(topics.get(k), inboxes.get(k));
                }));
            }
            assertThat(ready.await(t(10_000).toMillis(), TimeUnit.MILLISECONDS)).as("all 20 threads started").isTrue();
            go.countDown();
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < subs; i++) {
                try {
                    subscribing.get(i).get(t(60_000).toMillis(), TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    failures.add(topics.get(i) + ": " + e.getCause());
                }
            }
            assertThat(failures).as("subscribe calls that failed").isEmpty();
            List<List<String>> sent = new ArrayList<>();
            for (int i = 0; i < subs; i++) {
                sent.add(publishMany(pub, topics.get(i), count, "c" + i + "-"));
            }
            List<String> allSent = sent.stream().flatMap(List::stream).collect(Collectors.toList());
            Throwable late = catchThrowable(() -> Inbox.awaitIds(allSent,
                    () -> inboxes.stream().flatMap(in -> in.ids().stream()).collect(Collectors.toList()), t(30_000)));
            awaitQuiet(() -> inboxes.stream().mapToInt(Inbox::count).sum(), t(300), t(5_000));
            List<String> connectionTrouble = log.text().lines()
                    .filter(l -> l.contains("WARN") || l.contains("ERROR"))
                    .filter(l -> l.toLowerCase(java.util.Locale.ROOT).matches(".*(disconnect|reconnect|connection.*lost|lost.*connection|ping).*"))
                    .collect(Collectors.toList());
            String perTopic = IntStream.range(0, subs).mapToObj(i -> Integer.toString(inboxes.get(i).count()))
                    .collect(Collectors.joining("/"));
            String line = report("20 concurrent subscribes, 100 messages each", subs * count, allSent,
                    inboxes.stream().flatMap(in -> in.ids().stream()).collect(Collectors.toList()),
                    "per topic " + perTopic + ", connection warnings " + connectionTrouble.size());
            for (int i = 0; i < subs; i++) {
                assertThat(Inbox.difference(sent.get(i), inboxes.get(i).ids())).as("topic %d, %s%s", i, line,
                        late == null ? "" : " (gave up waiting)").isEmpty();
            }
            assertThat(connectionTrouble).as("warnings about the connection").isEmpty();
            assertThat(b.health().status()).isEqualTo(dev.omnibus.broker.Health.Status.CONNECTED);
            assertThat(b.health().since()).as("connected all along, never lost and restored").isEqualTo(upSince);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("49. [QUEUE_GROUPS] [ACKNOWLEDGEMENT] a group member unsubscribing mid-stream: what it held reaches the other member within seconds, not after an ack timeout; nothing lost")
    void leaverHandsBackAtOnce() throws Exception {
        leaveMidStream(false);
    }

    @Test
    @DisplayName("50. [QUEUE_GROUPS] [ACKNOWLEDGEMENT] [DURABLE_SUBSCRIPTIONS] the same for a durable group: the rest arrive within seconds, nothing lost")
    void durableLeaverHandsBackAtOnce() throws Exception {
        leaveMidStream(true);
    }

    private void leaveMidStream(boolean durable) throws Exception {
        assumeCapability(Capability.QUEUE_GROUPS);
        assumeCapability(Capability.ACKNOWLEDGEMENT);
        if (durable) {
            assumeCapability(Capability.DURABLE_SUBSCRIPTIONS);
        }
        String topic = topic("handback");
        SubscribeOptions group = SubscribeOptions.builder().queue(group("handback")).durable(durable).prefetch(10).build();
        Inbox leaver = new Inbox();
        Inbox stayer = new Inbox();
        // the leaver is slow, so it holds prefetched messages when it leaves
        Subscription leaving = connected("leaver").subscribe(topic, e -> {
            busy(Duration.ofMillis(20));
            leaver.handle(e);
        }, group);
        connected("stayer").subscribe(topic, e -> {
            busy(Duration.ofMillis(2));
            stayer.handle(e);
        }, group);
        Broker pub = connected("pub");
        int count = 200;
        List<String> sent = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < count; i++) {
                Message m = text("h-" + i);
                pub.publish(topic, m);
                sent.add(m.id());
            }
        });
        leaver.awaitCount(5, t(20_000));
        leaving.unsubscribe();
        long left = System.nanoTime();
        int leaverCount = leaver.count();
        publishing.get(t(60_000).toMillis(), TimeUnit.MILLISECONDS);
        Duration deadline = t(10_000);
        java.util.function.Supplier<List<String>> received = () -> concat(leaver.ids(), stayer.ids());
        Throwable late = catchThrowable(() -> await().atMost(deadline).pollInterval(Duration.ofMillis(20))
                .until(() -> new java.util.HashSet<>(received.get()).containsAll(sent)));
        Duration took = Duration.ofNanos(System.nanoTime() - left);
        if (late != null) {
            // how long the rest really took: an ack timeout (JetStream's ackWait is 30 s) shows here
            catchThrowable(() -> await().atMost(t(60_000)).pollInterval(Duration.ofMillis(50))
                    .until(() -> new java.util.HashSet<>(received.get()).containsAll(sent)));
        }
        Duration all = Duration.ofNanos(System.nanoTime() - left);
        int maxAttempt = stayer.events().stream().mapToInt(Event::deliveryAttempt).max().orElse(0);
        String line = report((durable ? "durable " : "") + "group member leaves mid-stream, hand-back latency", count, sent, received.get(),
                "leaver handled " + leaverCount + ", rest arrived " + all.toMillis() + " ms after unsubscribe, max delivery attempt " + maxAttempt);
        assertThat(leaver.count()).as("the leaver got nothing after its unsubscribe returned").isEqualTo(leaverCount);
        assertThat(late).as("every message arrived within %s of the unsubscribe (%s)", deadline, line).isNull();
        assertThat(took).isLessThan(deadline.plus(t(1_000)));
        List<String> lost = new ArrayList<>(sent);
        lost.removeAll(new java.util.HashSet<>(received.get()));
        assertThat(lost).as("lost messages (" + line + ")").isEmpty();
    }
}
