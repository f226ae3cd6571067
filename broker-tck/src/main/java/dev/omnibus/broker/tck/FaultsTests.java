package dev.omnibus.broker.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerException;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Kit group "Faults": server restarts, network cuts and publishes during outages. Run by {@link BrokerCompatibilityKit}; the numbers in
 * the display names are those of the kit's catalogue, {@code broker-tck/BEHAVIOURS.md}.
 */
public abstract class FaultsTests extends KitGroup {
    protected FaultsTests(BrokerCompatibilityKit kit) {
        super(kit);
    }
    @Test
    @DisplayName("31. [PUBLISH_CONFIRMS] [DURABLE_SUBSCRIPTIONS] the server restarted twice while 100 publishers send 10,000 messages to a durable group: every message arrives, duplicates counted")
    void serverRestartedTwice() throws Exception {
        Broker probe = disconnected("probe");
        assumeCapability(probe, Capability.PUBLISH_CONFIRMS);
        assumeCapability(probe, Capability.DURABLE_SUBSCRIPTIONS);
        assumeCapability(probe, Capability.QUEUE_GROUPS);
        BrokerServer server = restartableServer();
        Assumptions.assumeTrue(server != null, "the kit class offers no server to restart; override restartableServer()");
        Assumptions.assumeTrue(server.canRestart(), server::whyNoRestart);
        String host = URI.create(server.url().split(",")[0]).getHost();
        int port = URI.create(server.url().split(",")[0]).getPort();
        java.util.function.UnaryOperator<BrokerOptions.Builder> patient = o -> o.publishTimeout(t(30_000));
        int threads = 100;
        int perThread = n(10_000) / threads;
        int total = threads * perThread;
        String topic = topic("restart");
        SubscribeOptions durable = SubscribeOptions.builder().queue(group("survivors")).durable(true)
                .prefetch(200).concurrency(4).bufferSize(total * 2).build();
        Map<String, Integer> counts = new java.util.concurrent.ConcurrentHashMap<>();
        List<String> received = Collections.synchronizedList(new ArrayList<>());
        dev.omnibus.broker.Handler record = e -> {
            received.add(e.message().id());
            counts.merge(e.message().id(), 1, Integer::sum);
        };
        List<String> sent = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger retries = new AtomicInteger();
        AtomicInteger fastFailures = new AtomicInteger();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            connectedAt("m1", host, port, patient).subscribe(topic, record, durable);
            connectedAt("m2", host, port, patient).subscribe(topic, record, durable);
            Broker pub1 = connectedAt("pub1", host, port, patient);
            Broker pub2 = connectedAt("pub2", host, port, patient);
            CountDownLatch phase1Done = new CountDownLatch(threads);
            CountDownLatch phase2Done = new CountDownLatch(threads);
            CountDownLatch phase2Open = new CountDownLatch(1);
            CountDownLatch phase3Open = new CountDownLatch(1);
            long deadline = System.nanoTime() + t(240_000).toNanos();
            List<CompletableFuture<Void>> done = new ArrayList<>();
            for (int th = 0; th < threads; th++) {
                Broker pub = th % 2 == 0 ? pub1 : pub2;
                int thread = th;
                done.add(CompletableFuture.runAsync(() -> {
                    try {
                        for (int i = 0; i < perThread; i++) {
                            if (i == perThread / 3) {
                                phase1Done.countDown();
                                phase2Open.await(5, TimeUnit.MINUTES);
                            } else if (i == 2 * perThread / 3) {
                                phase2Done.countDown();
                                phase3Open.await(5, TimeUnit.MINUTES);
                            }
                            Message m = text(thread + "-" + i);
                            while (true) {
                                long attempt = System.nanoTime();
                                try {
                                    pub.publish(topic, m);
                                    sent.add(m.id());
                                    break;
                                } catch (BrokerException e) {
                                    retries.incrementAndGet();
                                    if (System.nanoTime() - attempt < FAST_FAILURE.toNanos()) {
                                        fastFailures.incrementAndGet();
                                    }
                                    if (System.nanoTime() > deadline) {
                                        failures.add(m.id() + ": " + e);
                                        break;
                                    }
                                }
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        phase1Done.countDown();
                        phase2Done.countDown();
                    }
                }, pool));
            }
            long started = System.nanoTime();
            assertThat(phase1Done.await(t(120_000).toMillis(), TimeUnit.MILLISECONDS)).as("first third published").isTrue();
            CompletableFuture<Void> restart1 = CompletableFuture.runAsync(server::restart);
            phase2Open.countDown();
            restart1.get(5, TimeUnit.MINUTES);
            assertThat(phase2Done.await(t(120_000).toMillis(), TimeUnit.MILLISECONDS)).as("second third published").isTrue();
            CompletableFuture<Void> restart2 = CompletableFuture.runAsync(server::restart);
            phase3Open.countDown();
            restart2.get(5, TimeUnit.MINUTES);
            CompletableFuture.allOf(done.toArray(new CompletableFuture[0])).get(5, TimeUnit.MINUTES);
            assertThat(failures).as("publishes still failing after retries until the deadline").isEmpty();
            Throwable late = catchThrowable(() -> await().atMost(t(120_000)).pollInterval(Duration.ofMillis(100))
                    .until(() -> counts.keySet().containsAll(sent)));
            awaitQuiet(received::size, t(1_000), t(30_000));
            String line = report("server restarted twice (behaviour 31)", total, sent, received,
                    "publish retries " + retries.get() + " (" + fastFailures.get() + " failed within " + FAST_FAILURE.toMillis()
                            + " ms), " + (System.nanoTime() - started) / 1_000_000 + " ms, " + server.description());
            assertThat(sent).as("every publish eventually returned").hasSize(total);
            // a publish caught in flight by a restart may fail once; one that throws at once while the server is
            // down, instead of waiting for it within publishTimeout, fails again and again in this loop
            assertThat(fastFailures.get()).as("publishes that failed within %s instead of waiting for the server to come back"
                    + " (behaviour 39): %s", FAST_FAILURE, line).isLessThanOrEqualTo(2 * threads * 2);
            List<String> lost = sent.stream().filter(id -> !counts.containsKey(id)).collect(Collectors.toList());
            assertThat(lost).as("lost after two restarts: " + line + (late == null ? "" : " (gave up waiting)")).isEmpty();
        } finally {
            pool.shutdownNow();
            server.ensureRunning();
        }
    }

    @Test
    @DisplayName("32. connections cut through a TCP proxy and restored: subscriptions resume by themselves; a publish during the cut waits, then succeeds")
    void networkCut() throws Exception {
        try (TcpProxy proxy = proxy()) {
            Duration publishTimeout = t(30_000);
            Broker victim = connectedAt("victim", proxy.host(), proxy.port(), o -> o.publishTimeout(publishTimeout));
            Broker direct = connected("direct");
            boolean groups = victim.capabilities().contains(Capability.QUEUE_GROUPS);
            boolean confirms = victim.capabilities().contains(Capability.PUBLISH_CONFIRMS);
            String topic = topic("cut");
            Inbox broadcast = new Inbox();
            Inbox grouped = new Inbox();
            victim.subscribe(topic, broadcast);
            if (groups) {
                victim.subscribe(topic, grouped, SubscribeOptions.builder().queue(group("cut")).build());
            }
            direct.publish(topic, text("before"));
            broadcast.awaitCount(1, t(10_000));

            proxy.cut();
            awaitNoticed(victim);
            Message during = text("during");
            long start = System.nanoTime();
            CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> victim.publish(topic, during));
            await().during(t(1_000)).atMost(t(5_000)).until(() -> !publishing.isDone() || publishing.isCompletedExceptionally());
            boolean returnedDuringCut = publishing.isDone() && !publishing.isCompletedExceptionally();
            proxy.restore();
            Throwable failure = catchThrowable(() -> publishing.get(publishTimeout.toMillis() + t(30_000).toMillis(), TimeUnit.MILLISECONDS));
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            List<String> after = new ArrayList<>();
            await().atMost(t(60_000)).pollInterval(Duration.ofMillis(200)).until(victim::isConnected);
            for (int i = 0; i < 10; i++) {
                Message m = text("after-" + i);
                after.add(m.id());
                direct.publish(topic, m);
            }
            Message fromVictim = text("from-victim");
            victim.publish(topic, fromVictim);
            after.add(fromVictim.id());
            List<String> expected = new ArrayList<>(after);
            if (failure == null) {
                expected.add(during.id());
            }
            Throwable missing = catchThrowable(() -> await().atMost(t(30_000))
                    .until(() -> broadcast.ids().containsAll(expected) && (!groups || grouped.ids().containsAll(expected))));
            report("connections cut (behaviour 32)", expected.size(), expected, broadcast.ids().stream().filter(expected::contains)
                    .collect(Collectors.toList()), "publish during the cut " + (failure == null ? "returned" : "threw " + failure.getCause())
                    + " after " + took.toMillis() + " ms");
            if (failure != null) {
                assertThat(failure.getCause()).as("a publish during the cut fails only with a BrokerException").isInstanceOf(BrokerException.class);
                assertThat(took).as("a publish fails only after publishTimeout").isGreaterThanOrEqualTo(publishTimeout.minusMillis(100));
            }
            if (confirms) {
                assertThat(returnedDuringCut).as("a confirmed publish cannot return while the broker is unreachable").isFalse();
            }
            assertThat(missing).as("subscriptions resumed and nothing returned normally was lost: "
                    + Inbox.difference(expected, broadcast.ids().stream().filter(expected::contains).collect(Collectors.toList()))
                    + (groups ? "; group: " + Inbox.difference(expected, grouped.ids().stream().filter(expected::contains)
                            .collect(Collectors.toList())) : "")).isNull();
        }
    }

    @Test
    @DisplayName("32. a publish while the connection stays cut fails with a BrokerException after publishTimeout, never returns normally")
    void publishDuringLongCutFails() {
        try (TcpProxy proxy = proxy()) {
            Duration publishTimeout = Duration.ofMillis(1_500);
            Broker victim = connectedAt("victim", proxy.host(), proxy.port(), o -> o.publishTimeout(publishTimeout));
            String topic = topic("long-cut");
            // a first publish sets up what the backend sets up lazily (a JetStream stream, say): the cut is the test
            victim.publish(topic, text("before the cut"));
            proxy.cut();
            awaitNoticed(victim);
            long start = System.nanoTime();
            Throwable failure = catchThrowable(() -> victim.publish(topic, text("into the void")));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            proxy.restore();
            assertThat(failure).as("publish while the connection is cut").isInstanceOf(BrokerException.class);
            assertThat(failure.getMessage()).as("the failure names the address").contains(victim.address());
            assertThat(took).as("waited for publishTimeout").isGreaterThanOrEqualTo(publishTimeout.minusMillis(100))
                    .isLessThan(publishTimeout.plus(t(10_000)));
        }
    }

    @Test
    @DisplayName("39. a publish while the connection is down waits for recovery within publishTimeout (it neither returns nor throws at once), then succeeds and the message arrives")
    void publishWaitsForRecovery() throws Exception {
        try (TcpProxy proxy = proxy()) {
            Broker victim = connectedAt("victim", proxy.host(), proxy.port(), o -> o.publishTimeout(t(60_000)));
            Broker direct = connected("direct");
            String topic = topic("waits");
            Inbox inbox = new Inbox();
            direct.subscribe(topic, inbox);
            victim.publish(topic, text("before"));
            inbox.awaitCount(1, t(10_000));

            proxy.cut();
            awaitNoticed(victim);
            Message during = text("during");
            CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> victim.publish(topic, during));
            // a backend that throws at once (or returns, having lost the message) fails here
            Throwable early = catchThrowable(() -> await().during(t(1_500)).atMost(t(3_000)).until(() -> !publishing.isDone()));
            assertThat(early).as("publish during the cut must wait for the connection; it finished with "
                    + (publishing.isCompletedExceptionally() ? "an exception" : "a normal return") + " while the server was unreachable")
                    .isNull();
            proxy.restore();
            publishing.get(t(90_000).toMillis(), TimeUnit.MILLISECONDS);
            inbox.awaitIds(List.of(during.id()), t(30_000));
        }
    }

    @Test
    @DisplayName("43. health() goes CONNECTED, then RECONNECTING while the connection is cut, CONNECTED when it is back, DISCONNECTED after disconnect; its last error never shows the password")
    void healthAcrossACut() throws Exception {
        try (TcpProxy proxy = proxy()) {
            Broker victim = connectedAt("health", proxy.host(), proxy.port(), o -> o);
            assertThat(victim.health().status()).isEqualTo(dev.omnibus.broker.Health.Status.CONNECTED);
            proxy.cut();
            await().atMost(t(30_000)).pollInterval(Duration.ofMillis(50))
                    .until(() -> victim.health().status() == dev.omnibus.broker.Health.Status.RECONNECTING);
            java.time.Instant lostSince = victim.health().since();
            proxy.restore();
            await().atMost(t(60_000)).pollInterval(Duration.ofMillis(100))
                    .until(() -> victim.health().status() == dev.omnibus.broker.Health.Status.CONNECTED);
            assertThat(victim.health().since()).isAfterOrEqualTo(lostSince);
            String password = victim.options().password();
            String lastError = victim.health().lastError();
            if (password != null && !password.isEmpty() && lastError != null) {
                assertThat(lastError).doesNotContain(password);
            }
            victim.disconnect();
            assertThat(victim.health().status()).isEqualTo(dev.omnibus.broker.Health.Status.DISCONNECTED);
        }
    }

    /** A publish that fails sooner than this while the server restarts did not wait for it. */
    private static final Duration FAST_FAILURE = Duration.ofMillis(200);

    /** The backend's cuttable proxy (see {@link BrokerCompatibilityKit#cuttableProxy()}), or the test is skipped with the reason. */
    private TcpProxy proxy() {
        TcpProxy proxy = cuttableProxy();
        Assumptions.assumeTrue(proxy != null, "the backend offers no connection to cut (cuttableProxy() is null)");
        return proxy;
    }

    /** Waits until the broker noticed its connection is gone, where it can tell (bounded; some notice only on use). */
    private void awaitNoticed(Broker b) {
        catchThrowable(() -> await().atMost(t(10_000)).pollInterval(Duration.ofMillis(50)).until(() -> !b.isConnected()));
    }
}
