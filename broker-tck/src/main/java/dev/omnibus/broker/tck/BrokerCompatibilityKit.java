package dev.omnibus.broker.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerException;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.Event;
import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.ProviderNotFoundException;
import dev.omnibus.broker.PublishException;
import dev.omnibus.broker.PublishInterceptor;
import dev.omnibus.broker.RequestException;
import dev.omnibus.broker.RetryPolicy;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Subscription;
import dev.omnibus.broker.event.EventBus;
import dev.omnibus.broker.event.ResourceEvent;
import dev.omnibus.broker.event.ResourceEvents;
import dev.omnibus.broker.event.ResourceKind;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Assumptions;

/**
 * The compatibility kit: every behaviour of {@code TCK.md} that a backend must keep, as JUnit 5
 * tests. A backend's test extends this class and supplies {@link #createBroker(String)}:
 *
 * <pre>{@code
 * class MyBrokerCompatibilityTest extends BrokerCompatibilityKit {
 *     protected Broker createBroker(String nodeId) {
 *         return Brokers.create(BrokerOptions.builder().url("my://localhost").nodeId(nodeId).build());
 *     }
 * }
 * }</pre>
 *
 * <p>Tests gated on a {@link Capability} the backend does not declare are reported as skipped
 * with the reason. Every test uses fresh topics, connects the brokers it creates and disconnects
 * them afterwards. Tests wait on conditions with deadlines scaled by {@link #timeoutScale()};
 * {@code -Domnibus.tck.quick=true} divides message counts by ten.
 */
public abstract class BrokerCompatibilityKit {
    /**
     * First topic token of this JVM's run: topics of two runs never share it, so a backend that
     * keeps state per topic prefix (a JetStream stream's subjects, say) left over by an aborted run
     * cannot get in the way of the next one.
     */
    private static final String RUN = Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffL, 36);
    private final List<Broker> brokers = new CopyOnWriteArrayList<>();
    private String testName = "test";
    private String run = Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffffL, 36);

    /**
     * A new, disconnected broker of the backend under test with node id {@code nodeId}. Brokers
     * created with different node ids act as different nodes (processes) of one system: they
     * must reach the same server (or, in memory, the same named bus).
     */
    protected abstract Broker createBroker(String nodeId);

    /** Multiplies every deadline; raise it for slow servers. Default: system property {@code omnibus.tck.timeoutScale} or 1. */
    protected double timeoutScale() {
        return Double.parseDouble(System.getProperty("omnibus.tck.timeoutScale", "1"));
    }

    /**
     * Options for this backend whose URL or credentials carry {@code password}, to check that it
     * never shows. Default: the options of {@code createBroker} with credentials set.
     */
    protected BrokerOptions optionsWithPassword(String password) {
        return createBroker(node("secret")).options().toBuilder().credentials("omnibus", password).build();
    }

    /** A URL of this backend where nothing listens, or null if the backend has no network address. */
    protected String urlWithNothingListening() {
        return null;
    }

    /**
     * The size limit, in bytes, of messages published by brokers of {@link #createBroker(String)}, or
     * -1 (the default) to skip the size-limit test (item 29) with that reason. The kit publishes a
     * body one byte over it, so keep it below a few hundred MiB.
     */
    protected long maxMessageBytes() {
        return -1;
    }

    /**
     * Options for this backend's server carrying {@code wrongPassword}, which the server must refuse;
     * or null (the default) when the server under test checks no credentials, which skips item 30's
     * credentials test with that reason.
     */
    protected BrokerOptions optionsWithWrongCredentials(String wrongPassword) {
        return null;
    }

    /**
     * How many resources (queues, consumers, inboxes) the server holds now, or -1 (the default) when
     * the backend cannot count them, which skips item 27 with that reason. Counting may be slow: the
     * kit calls it twice.
     */
    protected long serverResourceCount() {
        return -1;
    }

    /**
     * A server the fault tests may restart (item 31), or null (the default) to skip them with that
     * reason. Brokers for those tests are made by {@link #createBroker(String)} and pointed at the
     * server's host and port, their URL otherwise unchanged. See {@link BrokerServers}.
     */
    protected BrokerServer restartableServer() {
        return null;
    }

    /**
     * The options a child JVM of the cluster tests (items 33-35) connects with to reach the same
     * system as {@code createBroker(nodeId)}. Default: that broker's options.
     */
    protected BrokerOptions childOptions(String nodeId) {
        return createBroker(nodeId).options();
    }

    // ---------------------------------------------------------------- helpers

    /** Scaled duration. */
    protected final Duration t(long millis) {
        return Duration.ofMillis((long) (millis * timeoutScale()));
    }

    /** Count, divided by ten in quick mode. */
    protected static int n(int full) {
        return Boolean.getBoolean("omnibus.tck.quick") ? Math.max(1, full / 10) : full;
    }

    /** A connected broker with a node id unique to this test run. */
    protected final Broker connected(String nodeName) {
        Broker b = createBroker(node(nodeName));
        brokers.add(b);
        b.connect();
        return b;
    }

    /** A disconnected broker, disconnected again after the test. */
    protected final Broker disconnected(String nodeName) {
        Broker b = createBroker(node(nodeName));
        brokers.add(b);
        return b;
    }

    protected final String node(String name) {
        return name + "-" + run;
    }

    /**
     * A connected broker of {@link #createBroker(String)} whose URL points at {@code host:port} instead
     * (a proxy, a private server), with its options changed by {@code tweak}.
     */
    protected final Broker connectedAt(String nodeName, String host, int port, java.util.function.UnaryOperator<BrokerOptions.Builder> tweak) {
        Broker b = createBroker(node(nodeName));
        brokers.add(b);
        BrokerOptions o = b.options();
        b.init(tweak.apply(o.toBuilder().url(BrokerServers.withAddress(o.url(), host, port))).build());
        b.connect();
        return b;
    }

    /** The kit class and backend, for reports: {@code NatsJetStreamBrokerCompatibilityTest (nats)}. */
    protected final String backendLabel() {
        return getClass().getSimpleName() + " (" + createBroker(node("label")).name() + ")";
    }

    /** Prints one line of the fault and cluster tests' figures, and returns it. */
    protected final String report(String test, int sent, List<String> sentIds, List<String> received, String extra) {
        Map<String, Integer> counts = new HashMap<>();
        received.forEach(id -> counts.merge(id, 1, Integer::sum));
        long lost = sentIds.stream().filter(id -> !counts.containsKey(id)).count();
        long duplicated = counts.values().stream().filter(c -> c > 1).mapToLong(c -> c - 1).sum();
        String line = String.format("[omnibus-kit] %s | %s | sent %d, received %d, duplicated %d, lost %d%s",
                backendLabel(), test, sent, received.size(), duplicated, lost, extra == null || extra.isEmpty() ? "" : ", " + extra);
        System.out.println(line);
        return line;
    }

    /** A topic unique to this test and run: {@code tck<run>.<test>.<random>.<suffix>}. */
    protected final String topic(String suffix) {
        return "tck" + RUN + "." + testName + "." + run + "." + suffix;
    }

    /** A queue group name unique to this test. */
    protected final String group(String name) {
        return name + "-" + testName + "-" + run;
    }

    protected final void assumeCapability(Broker broker, Capability capability) {
        Assumptions.assumeTrue(broker.capabilities().contains(capability),
                () -> "the " + broker.name() + " backend does not declare " + capability);
    }

    private void assumeCapability(Capability capability) {
        Broker probe = createBroker(node("probe"));
        assumeCapability(probe, capability);
    }

    private static Message text(String body) {
        return Message.of(body);
    }

    private static void assertExactlyOnce(List<String> sent, List<String> received) {
        String diff = Inbox.difference(sent, received);
        assertThat(diff).as("every message exactly once").isEmpty();
    }

    @BeforeEach
    void kitSetUp(TestInfo info) {
        String m = info.getTestMethod().map(java.lang.reflect.Method::getName).orElse("test");
        testName = m.replaceAll("[^A-Za-z0-9_-]", "_");
        run = Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffffL, 36);
    }

    @AfterEach
    void kitTearDown() {
        for (Broker b : brokers) {
            try {
                b.disconnect();
            } catch (RuntimeException e) {
                // a test may leave a broker broken on purpose; keep closing the others
            }
        }
        brokers.clear();
    }

    // ---------------------------------------------------------------- 1-5

    @Nested
    @DisplayName("Lifecycle")
    class Lifecycle {
        @Test
        @DisplayName("connect and disconnect are idempotent; publish or subscribe before connect fails saying the broker is not connected")
        void connectDisconnectIdempotent() {
            Broker b = disconnected("a");
            String topic = topic("x");
            assertThat(b.isConnected()).isFalse();
            assertThatThrownBy(() -> b.publish(topic, text("x"))).isInstanceOf(BrokerException.class)
                    .hasMessageContaining("not connected");
            assertThatThrownBy(() -> b.subscribe(topic, e -> { })).isInstanceOf(BrokerException.class)
                    .hasMessageContaining("not connected");
            b.connect();
            b.connect();
            assertThat(b.isConnected()).isTrue();
            Inbox inbox = new Inbox();
            b.subscribe(topic, inbox);
            b.publish(topic, text("hello"));
            inbox.awaitCount(1, t(10_000));
            b.disconnect();
            b.disconnect();
            assertThat(b.isConnected()).isFalse();
            assertThatThrownBy(() -> b.publish(topic, text("x"))).isInstanceOf(BrokerException.class)
                    .hasMessageContaining("not connected");
            b.connect();
            assertThat(b.isConnected()).isTrue();
        }

        @Test
        @DisplayName("init while connected is an IllegalStateException; init while disconnected takes effect on the next connect")
        void initOnlyWhileDisconnected() {
            Broker b = disconnected("a");
            BrokerOptions changed = b.options().toBuilder().nodeId(node("renamed")).publishTimeout(Duration.ofSeconds(7)).build();
            b.init(changed);
            assertThat(b.options().nodeId()).isEqualTo(node("renamed"));
            b.connect();
            assertThat(b.options().publishTimeout()).isEqualTo(Duration.ofSeconds(7));
            assertThatThrownBy(() -> b.init(changed)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("disconnect");
            Inbox inbox = new Inbox();
            String topic = topic("x");
            b.subscribe(topic, inbox);
            b.publish(topic, text("works"));
            inbox.awaitCount(1, t(10_000));
        }

        @Test
        @DisplayName("address(), toString() and every exception message never contain the password")
        void noPasswordAnywhere() {
            String password = "S3cr3t-" + run + "-pw";
            BrokerOptions options = optionsWithPassword(password);
            Broker b = Brokers.create(options);
            brokers.add(b);
            assertThat(b.address()).doesNotContain(password);
            assertThat(b.toString()).doesNotContain(password);
            assertThat(b.options().toString()).doesNotContain(password);
            List<Throwable> failures = new ArrayList<>();
            failures.add(catchThrowable(() -> b.publish(topic("x"), text("x"))));
            failures.add(catchThrowable(b::connect));
            failures.add(catchThrowable(() -> b.publish("bad topic", text("x"))));
            failures.add(catchThrowable(() -> Brokers.create(options.url().replaceFirst("^[a-z]+:", "nosuchscheme:"))));
            for (Throwable f : failures) {
                for (Throwable c = f; c != null; c = c.getCause()) {
                    assertThat(String.valueOf(c.getMessage())).as("message of %s", c.getClass().getName()).doesNotContain(password);
                }
            }
        }

        @Test
        @DisplayName("disconnect waits for running handlers, within shutdownTimeout, and no handler runs after it returns")
        void disconnectWaitsForHandlers() {
            Broker sub = disconnected("sub");
            sub.init(sub.options().toBuilder().shutdownTimeout(t(5_000)).build());
            sub.connect();
            Broker pub = connected("pub");
            String topic = topic("slow");
            CountDownLatch started = new CountDownLatch(1);
            AtomicBoolean finished = new AtomicBoolean();
            AtomicInteger calls = new AtomicInteger();
            sub.subscribe(topic, e -> {
                calls.incrementAndGet();
                started.countDown();
                busy(Duration.ofMillis(300));
                finished.set(true);
            });
            pub.publish(topic, text("1"));
            await().atMost(t(10_000)).until(() -> started.getCount() == 0);
            sub.disconnect();
            assertThat(finished).as("the running handler finished before disconnect returned").isTrue();
            int after = calls.get();
            for (int i = 0; i < 5; i++) {
                pub.publish(topic, text("late-" + i));
            }
            await().during(t(500)).atMost(t(5_000)).until(() -> calls.get() == after);

            Broker stuck = disconnected("stuck");
            stuck.init(stuck.options().toBuilder().shutdownTimeout(Duration.ofMillis(300)).build());
            stuck.connect();
            CountDownLatch forever = new CountDownLatch(1);
            CountDownLatch entered = new CountDownLatch(1);
            String topic2 = topic("stuck");
            stuck.subscribe(topic2, e -> {
                entered.countDown();
                forever.await(30, TimeUnit.SECONDS);
            });
            pub.publish(topic2, text("1"));
            await().atMost(t(10_000)).until(() -> entered.getCount() == 0);
            long start = System.nanoTime();
            stuck.disconnect();
            forever.countDown();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("disconnect bounded by shutdownTimeout")
                    .isLessThan(Duration.ofMillis(300).plus(t(5_000)));
        }

        @Test
        @DisplayName("connect where nothing listens fails within connectTimeout with a message naming the address")
        void connectToNothing() {
            String url = urlWithNothingListening();
            Assumptions.assumeTrue(url != null, "the backend has no network address to fail on");
            Broker b = Brokers.create(BrokerOptions.builder().url(url).connectTimeout(Duration.ofSeconds(2)).build());
            brokers.add(b);
            long start = System.nanoTime();
            Throwable failure = catchThrowable(b::connect);
            assertThat(failure).isInstanceOf(BrokerException.class);
            assertThat(failure.getMessage()).contains(b.address());
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2).plus(t(5_000)));
            assertThat(b.isConnected()).isFalse();
        }
    }

    // ---------------------------------------------------------------- 6-14

    @Nested
    @DisplayName("Publish and subscribe")
    class PublishSubscribe {
        @Test
        @DisplayName("100 messages arrive intact: bodies (empty, all 256 byte values), UTF-8 headers and ids")
        void messagesArriveIntact() {
            Broker b = connected("a");
            String topic = topic("intact");
            Inbox inbox = new Inbox();
            b.subscribe(topic, inbox);
            Map<String, Message> sent = new HashMap<>();
            byte[] all = new byte[256];
            for (int i = 0; i < 256; i++) {
                all[i] = (byte) i;
            }
            for (int i = 0; i < 100; i++) {
                byte[] body = i == 0 ? new byte[0] : i == 1 ? all : randomBytes(i * 37 % 2000);
                Message m = Message.builder().body(body)
                        .header("x-index", Integer.toString(i))
                        .header("x-text", "héllo wörld ✓ 日本語 #" + i)
                        .contentType("application/octet-stream")
                        .build();
                sent.put(m.id(), m);
                b.publish(topic, m);
            }
            inbox.awaitCount(100, t(15_000));
            for (Event e : inbox.events()) {
                Message got = e.message();
                Message original = sent.get(got.id());
                assertThat(original).as("received id %s was sent", got.id()).isNotNull();
                assertThat(got.body()).as("body of %s", got.id()).isEqualTo(original.body());
                assertThat(got.headers()).as("headers of %s", got.id()).containsAllEntriesOf(original.headers());
                assertThat(e.topic()).isEqualTo(topic);
                assertThat(e.deliveryAttempt()).isEqualTo(1);
            }
            assertExactlyOnce(new ArrayList<>(sent.keySet()), inbox.ids());
        }

        @Test
        @DisplayName("a subscription receives only its own topic's messages")
        void topicIsolation() {
            Broker b = connected("a");
            String mine = topic("mine");
            Inbox inbox = new Inbox();
            b.subscribe(mine, inbox);
            for (int i = 0; i < 5; i++) {
                b.publish(topic("other"), text("other-" + i));
                b.publish(mine + ".deeper", text("deeper-" + i));
                b.publish(mine, text("mine-" + i));
            }
            inbox.awaitCount(5, t(10_000)).assertStaysAt(5, t(300));
            assertThat(inbox.bodies()).allMatch(s -> s.startsWith("mine-"));
            assertThat(inbox.events()).allMatch(e -> e.topic().equals(mine));
        }

        @Test
        @DisplayName("[WILDCARDS] '*' matches exactly one token and a final '>' one or more, as the table says; publishing to a pattern is rejected")
        void wildcards() {
            Broker b = connected("a");
            assumeCapability(b, Capability.WILDCARDS);
            Object[][] table = {
                {"a.*", "a.b", true}, {"a.*", "a", false}, {"a.*", "a.b.c", false},
                {"a.>", "a.b", true}, {"a.>", "a.b.c", true}, {"a.>", "a", false},
                {"*.c", "x.c", true}, {"*.c", "a.b.c", false},
                {"a.b", "a.b", true}, {"a.b", "a.b.c", false},
                {"*.*", "a.b", true}, {"*.*", "a", false},
                {"a.*.c", "a.b.c", true}, {"a.*.c", "a.b.d.c", false},
                {"*.b.>", "a.b.c.d", true}, {"*.b.>", "a.b", false},
                {">", "a", true}, {">", "a.b.c", true},
            };
            List<Inbox> inboxes = new ArrayList<>();
            for (int i = 0; i < table.length; i++) {
                Inbox inbox = new Inbox();
                inboxes.add(inbox);
                b.subscribe(topic("c" + i) + "." + table[i][0], inbox);
            }
            for (int i = 0; i < table.length; i++) {
                b.publish(topic("c" + i) + "." + table[i][1], text("case-" + i));
            }
            for (int i = 0; i < table.length; i++) {
                if ((Boolean) table[i][2]) {
                    inboxes.get(i).awaitCount(1, t(10_000));
                }
            }
            await().during(t(500)).atMost(t(10_000)).until(() -> IntStream.range(0, table.length)
                    .allMatch(i -> inboxes.get(i).count() == ((Boolean) table[i][2] ? 1 : 0)));
            for (int i = 0; i < table.length; i++) {
                assertThat(inboxes.get(i).count())
                        .as("pattern '%s' vs topic '%s'", table[i][0], table[i][1])
                        .isEqualTo((Boolean) table[i][2] ? 1 : 0);
            }
            assertThatThrownBy(() -> b.publish(topic("x") + ".*", text("x"))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> b.publish(topic("x") + ".>", text("x"))).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        @DisplayName("several broadcast subscriptions, on one and on different broker instances, each receive every message")
        void broadcastToAll() {
            Broker a = connected("a");
            Broker b = connected("b");
            String topic = topic("fanout");
            List<Inbox> inboxes = List.of(new Inbox(), new Inbox(), new Inbox(), new Inbox());
            a.subscribe(topic, inboxes.get(0));
            a.subscribe(topic, inboxes.get(1));
            b.subscribe(topic, inboxes.get(2));
            b.subscribe(topic, inboxes.get(3));
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                Message m = text("m-" + i);
                sent.add(m.id());
                (i % 2 == 0 ? a : b).publish(topic, m);
            }
            for (Inbox inbox : inboxes) {
                inbox.awaitCount(50, t(10_000)).assertStaysAt(50, t(200));
                assertExactlyOnce(sent, inbox.ids());
            }
        }

        @Test
        @DisplayName("unsubscribe stops delivery, waits for running handlers, and is idempotent; subscribing again works")
        void unsubscribe() {
            Broker b = connected("a");
            String topic = topic("unsub");
            CountDownLatch entered = new CountDownLatch(1);
            AtomicBoolean finished = new AtomicBoolean();
            AtomicInteger calls = new AtomicInteger();
            Subscription s = b.subscribe(topic, e -> {
                calls.incrementAndGet();
                entered.countDown();
                busy(Duration.ofMillis(300));
                finished.set(true);
            });
            assertThat(s.isActive()).isTrue();
            assertThat(s.topic()).isEqualTo(topic);
            b.publish(topic, text("1"));
            await().atMost(t(10_000)).until(() -> entered.getCount() == 0);
            s.unsubscribe();
            assertThat(finished).as("unsubscribe waited for the running handler").isTrue();
            assertThat(s.isActive()).isFalse();
            s.unsubscribe();
            int before = calls.get();
            b.publish(topic, text("2"));
            await().during(t(300)).atMost(t(5_000)).until(() -> calls.get() == before);
            Inbox again = new Inbox();
            b.subscribe(topic, again);
            b.publish(topic, text("3"));
            again.awaitCount(1, t(10_000));
            assertThat(again.bodies()).containsExactly("3");
        }

        @Test
        @DisplayName("[ORDERED_DELIVERY] 1,000 messages from one publisher arrive in order at a concurrency-1 subscription")
        void ordered() {
            Broker b = connected("a");
            assumeCapability(b, Capability.ORDERED_DELIVERY);
            Broker pub = connected("pub");
            String topic = topic("ordered");
            Inbox inbox = new Inbox();
            b.subscribe(topic, inbox);
            int count = n(1000);
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                Message m = text(Integer.toString(i));
                sent.add(m.id());
                pub.publish(topic, m);
            }
            inbox.awaitIds(sent, t(30_000));
            assertThat(inbox.ids()).as("publish order").containsExactlyElementsOf(sent);
        }

        @Test
        @DisplayName("20 publisher threads × 500 messages to 5 subscriptions: nothing lost, no duplicate")
        void concurrentPublishers() throws Exception {
            Broker a = connected("a");
            Broker b = connected("b");
            String topic = topic("many");
            List<Inbox> inboxes = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                Inbox inbox = new Inbox();
                inboxes.add(inbox);
                (i % 2 == 0 ? a : b).subscribe(topic, inbox,
                        SubscribeOptions.builder().bufferSize(20 * n(500)).prefetch(1000).build());
            }
            int perThread = n(500);
            List<String> sent = Collections.synchronizedList(new ArrayList<>());
            ExecutorService pool = Executors.newFixedThreadPool(20);
            try {
                List<CompletableFuture<Void>> done = new ArrayList<>();
                for (int th = 0; th < 20; th++) {
                    Broker pub = th % 2 == 0 ? a : b;
                    int thread = th;
                    done.add(CompletableFuture.runAsync(() -> {
                        for (int i = 0; i < perThread; i++) {
                            Message m = text(thread + "-" + i);
                            pub.publish(topic, m);
                            sent.add(m.id());
                        }
                    }, pool));
                }
                CompletableFuture.allOf(done.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
            } finally {
                pool.shutdownNow();
            }
            int total = 20 * perThread;
            for (Inbox inbox : inboxes) {
                inbox.awaitIds(sent, t(60_000));
                awaitQuiet(inbox::count, t(200), t(5_000));
                assertExactlyOnce(sent, inbox.ids());
            }
        }

        @Test
        @DisplayName("concurrency(n > 1) runs up to n handlers at once, never more")
        void concurrency() {
            Broker b = connected("a");
            String topic = topic("parallel");
            int n = 4;
            AtomicInteger active = new AtomicInteger();
            AtomicInteger max = new AtomicInteger();
            AtomicInteger done = new AtomicInteger();
            CountDownLatch allIn = new CountDownLatch(1);
            b.subscribe(topic, e -> {
                int now = active.incrementAndGet();
                max.accumulateAndGet(now, Math::max);
                if (now >= n) {
                    allIn.countDown();
                }
                allIn.await(5, TimeUnit.SECONDS);
                active.decrementAndGet();
                done.incrementAndGet();
            }, SubscribeOptions.builder().concurrency(n).prefetch(50).build());
            for (int i = 0; i < 20; i++) {
                b.publish(topic, text("p-" + i));
            }
            await().atMost(t(20_000)).until(() -> done.get() == 20);
            assertThat(max.get()).as("most handlers running at once").isEqualTo(n);
        }

        @Test
        @DisplayName("a handler that throws (RuntimeException or Error) does not stop delivery of later messages")
        void throwingHandler() {
            Broker b = connected("a");
            String topic = topic("throws");
            Inbox inbox = new Inbox();
            b.subscribe(topic, e -> {
                String body = e.message().bodyAsString();
                if (body.equals("runtime")) {
                    throw new IllegalStateException("deliberate failure");
                }
                if (body.equals("error")) {
                    throw new AssertionError("deliberate error");
                }
                inbox.handle(e);
            }, SubscribeOptions.builder().maxDeliveries(1).build());
            for (String s : List.of("1", "runtime", "2", "error", "3", "runtime", "4")) {
                b.publish(topic, text(s));
            }
            inbox.awaitCount(4, t(10_000));
            assertThat(inbox.bodies()).containsExactlyInAnyOrder("1", "2", "3", "4");
        }
    }

    // ---------------------------------------------------------------- 15-17

    @Nested
    @DisplayName("Queue groups")
    class QueueGroups {
        @BeforeEach
        void requires() {
            assumeCapability(Capability.QUEUE_GROUPS);
        }

        @Test
        @DisplayName("3 members on 3 broker instances, 300 messages: each delivered to exactly one member; every member gets some")
        void shareWork() {
            String topic = topic("work");
            String group = group("workers");
            List<Inbox> members = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Inbox inbox = new Inbox();
                members.add(inbox);
                connected("m" + i).subscribe(topic, inbox, SubscribeOptions.builder().queue(group).prefetch(10).build());
            }
            Broker pub = connected("pub");
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                Message m = text("w-" + i);
                sent.add(m.id());
                pub.publish(topic, m);
            }
            Inbox.awaitIds(sent, () -> members.stream().flatMap(m -> m.ids().stream()).collect(Collectors.toList()), t(20_000));
            awaitQuiet(() -> members.stream().mapToInt(Inbox::count).sum(), t(300), t(5_000));
            List<String> received = members.stream().flatMap(m -> m.ids().stream()).collect(Collectors.toList());
            assertExactlyOnce(sent, received);
            for (int i = 0; i < 3; i++) {
                assertThat(members.get(i).count()).as("messages of member %d", i).isPositive();
            }
        }

        @Test
        @DisplayName("two groups on one topic each receive every message, and so does a broadcast subscription beside them")
        void groupsAndBroadcast() {
            String topic = topic("mixed");
            Broker a = connected("a");
            Broker b = connected("b");
            Inbox a1 = new Inbox();
            Inbox a2 = new Inbox();
            Inbox b1 = new Inbox();
            Inbox b2 = new Inbox();
            Inbox all = new Inbox();
            a.subscribe(topic, a1, SubscribeOptions.builder().queue(group("billing")).build());
            b.subscribe(topic, a2, SubscribeOptions.builder().queue(group("billing")).build());
            a.subscribe(topic, b1, SubscribeOptions.builder().queue(group("audit")).build());
            b.subscribe(topic, b2, SubscribeOptions.builder().queue(group("audit")).build());
            b.subscribe(topic, all);
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                Message m = text("x-" + i);
                sent.add(m.id());
                a.publish(topic, m);
            }
            Inbox.awaitIds(sent, () -> concat(a1.ids(), a2.ids()), t(20_000));
            Inbox.awaitIds(sent, () -> concat(b1.ids(), b2.ids()), t(20_000));
            all.awaitIds(sent, t(20_000));
            awaitQuiet(() -> a1.count() + a2.count() + b1.count() + b2.count() + all.count(), t(300), t(5_000));
            assertExactlyOnce(sent, concat(a1.ids(), a2.ids()));
            assertExactlyOnce(sent, concat(b1.ids(), b2.ids()));
            assertExactlyOnce(sent, all.ids());
        }

        @Test
        @DisplayName("a member leaving mid-stream: the others take over; with [ACKNOWLEDGEMENT] nothing is lost")
        void memberLeavesMidStream() throws Exception {
            String topic = topic("leave");
            String group = group("leavers");
            List<Inbox> members = new ArrayList<>();
            List<Subscription> subs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Inbox inbox = new Inbox();
                members.add(inbox);
                subs.add(connected("m" + i).subscribe(topic, e -> {
                    busy(Duration.ofMillis(1));
                    inbox.handle(e);
                }, SubscribeOptions.builder().queue(group).prefetch(10).build()));
            }
            Broker pub = connected("pub");
            boolean acks = pub.capabilities().contains(Capability.ACKNOWLEDGEMENT);
            int count = 300;
            List<String> sent = Collections.synchronizedList(new ArrayList<>());
            CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < count; i++) {
                    Message m = text("l-" + i);
                    pub.publish(topic, m);
                    sent.add(m.id());
                }
            });
            members.get(0).awaitCount(5, t(20_000));
            subs.get(0).unsubscribe();
            int leaverCount = members.get(0).count();
            publishing.get(60, TimeUnit.SECONDS);
            List<Inbox> stayers = members.subList(1, 3);
            if (acks) {
                await().atMost(t(30_000)).until(() -> members.stream().flatMap(m -> m.ids().stream()).collect(Collectors.toSet())
                        .containsAll(sent));
            } else {
                awaitQuiet(() -> members.stream().mapToInt(Inbox::count).sum(), t(1_000), t(30_000));
            }
            List<String> received = members.stream().flatMap(m -> m.ids().stream()).collect(Collectors.toList());
            report("member leaves mid-stream (item 17)", count, sent, received, "leaver handled " + leaverCount);
            assertThat(members.get(0).count()).as("the member got nothing after its unsubscribe returned").isEqualTo(leaverCount);
            assertThat(stayers.stream().mapToInt(Inbox::count).sum()).as("the other members took over").isPositive();
            if (acks) {
                List<String> lost = new ArrayList<>(sent);
                lost.removeAll(new java.util.HashSet<>(received));
                assertThat(lost).as("lost messages (" + Inbox.difference(sent, received) + ")").isEmpty();
            }
        }
    }

    // ---------------------------------------------------------------- 18-21

    @Nested
    @DisplayName("Acknowledgement")
    class Acknowledgement {
        @BeforeEach
        void requires() {
            assumeCapability(Capability.ACKNOWLEDGEMENT);
        }

        @Test
        @DisplayName("a handler failing its first 2 attempts gets the message again with deliveryAttempt 2 and 3, then it is acked")
        void redeliveredAfterFailure() {
            Broker b = connected("a");
            String topic = topic("retry");
            List<Integer> attempts = new CopyOnWriteArrayList<>();
            b.subscribe(topic, e -> {
                attempts.add(e.deliveryAttempt());
                if (e.deliveryAttempt() < 3) {
                    throw new IllegalStateException("failing attempt " + e.deliveryAttempt());
                }
            }, SubscribeOptions.builder().queue(group("retry")).redeliveryDelay(Duration.ofMillis(100)).maxDeliveries(5).build());
            b.publish(topic, text("once"));
            await().atMost(t(20_000)).until(() -> attempts.size() >= 3);
            await().during(t(700)).atMost(t(10_000)).until(() -> attempts.size() == 3);
            assertThat(attempts).containsExactly(1, 2, 3);
        }

        @Test
        @DisplayName("manual ack: an unacked message is redelivered after its subscription closes; an acked one is not")
        void manualAck() {
            Broker a = connected("a");
            Broker b = connected("b");
            String topic = topic("manual");
            String group = group("manual");
            List<Event> first = new CopyOnWriteArrayList<>();
            SubscribeOptions manual = SubscribeOptions.builder().queue(group).autoAck(false).prefetch(10).build();
            Subscription s1 = a.subscribe(topic, first::add, manual);
            Message acked = text("acked");
            Message unacked = text("unacked");
            a.publish(topic, acked);
            a.publish(topic, unacked);
            await().atMost(t(10_000)).until(() -> first.size() >= 2);
            first.stream().filter(e -> e.message().id().equals(acked.id())).findFirst().orElseThrow().ack();
            Inbox second = new Inbox();
            b.subscribe(topic, e -> {
                second.handle(e);
                e.ack();
            }, manual);
            s1.unsubscribe();
            second.awaitCount(1, t(20_000)).assertStaysAt(1, t(500));
            Event again = second.events().get(0);
            assertThat(again.message().id()).isEqualTo(unacked.id());
            assertThat(again.deliveryAttempt()).isGreaterThanOrEqualTo(2);
        }

        @Test
        @DisplayName("redelivery waits redeliveryDelay between attempts and stops at maxDeliveries")
        void redeliveryDelay() {
            Broker b = connected("a");
            String topic = topic("delay");
            List<Long> times = new CopyOnWriteArrayList<>();
            Duration delay = Duration.ofMillis(400);
            b.subscribe(topic, e -> {
                times.add(System.nanoTime());
                throw new IllegalStateException("always failing");
            }, SubscribeOptions.builder().queue(group("delay")).redeliveryDelay(delay).maxDeliveries(3).build());
            b.publish(topic, text("x"));
            await().atMost(t(20_000)).until(() -> times.size() >= 3);
            await().during(t(1_200)).atMost(t(10_000)).until(() -> times.size() == 3);
            for (int i = 1; i < times.size(); i++) {
                Duration gap = Duration.ofNanos(times.get(i) - times.get(i - 1));
                assertThat(gap).as("gap before attempt %d", i + 1).isGreaterThanOrEqualTo(delay.minusMillis(50));
            }
        }

    }

    @Nested
    @DisplayName("Dead letters")
    class DeadLetters {
        @Test
        @DisplayName("[DEAD_LETTER] after maxDeliveries the message reaches deadLetterTopic with its original headers and the failure reason")
        void deadLetter() {
            Broker b = connected("a");
            assumeCapability(b, Capability.DEAD_LETTER);
            boolean groups = b.capabilities().contains(Capability.QUEUE_GROUPS);
            String topic = topic("poison");
            String dlt = topic("dead");
            Inbox dead = new Inbox();
            b.subscribe(dlt, dead);
            AtomicInteger attempts = new AtomicInteger();
            b.subscribe(topic, e -> {
                attempts.incrementAndGet();
                throw new IllegalArgumentException("cannot digest " + e.message().bodyAsString());
            }, SubscribeOptions.builder().queue(groups ? group("poison") : null).maxDeliveries(2)
                    .redeliveryDelay(Duration.ofMillis(50)).deadLetterTopic(dlt).build());
            Message poison = Message.builder().body("poison-pill").header("x-origin", "kit").build();
            b.publish(topic, poison);
            dead.awaitCount(1, t(20_000)).assertStaysAt(1, t(300));
            Message got = dead.messages().get(0);
            assertThat(got.bodyAsString()).isEqualTo("poison-pill");
            assertThat(got.id()).isEqualTo(poison.id());
            assertThat(got.header("x-origin")).isEqualTo("kit");
            assertThat(got.header(Headers.DEAD_LETTER_REASON)).contains("cannot digest poison-pill");
            assertThat(got.header(Headers.DEAD_LETTER_TOPIC)).isEqualTo(topic);
            assertThat(attempts.get()).isEqualTo(2);
        }
    }

    // ---------------------------------------------------------------- 36-38

    @Nested
    @DisplayName("Retry policy and dead-letter failures")
    class RetryPolicies {
        @Test
        @DisplayName("an exponential retry policy: the gaps between attempts stay within the policy's bounds, jitter included, and attempts stop at maxDeliveries")
        void exponentialBackoff() {
            Broker b = connected("a");
            boolean groups = b.capabilities().contains(Capability.QUEUE_GROUPS);
            String topic = topic("backoff");
            RetryPolicy policy = RetryPolicy.exponential(Duration.ofMillis(150), 2.0, Duration.ofMillis(600)).withMaxDeliveries(5);
            List<Long> times = new CopyOnWriteArrayList<>();
            List<Integer> attempts = new CopyOnWriteArrayList<>();
            b.subscribe(topic, e -> {
                times.add(System.nanoTime());
                attempts.add(e.deliveryAttempt());
                throw new IllegalStateException("always failing");
            }, SubscribeOptions.builder().queue(groups ? group("backoff") : null).retry(policy).build());
            b.publish(topic, text("x"));
            await().atMost(t(30_000)).until(() -> times.size() >= 5);
            await().during(t(1_500)).atMost(t(10_000)).until(() -> times.size() == 5);
            assertThat(attempts).containsExactly(1, 2, 3, 4, 5);
            for (int attempt = 1; attempt < times.size(); attempt++) {
                Duration gap = Duration.ofNanos(times.get(attempt) - times.get(attempt - 1));
                assertThat(gap).as("gap after failed attempt %d of %s", attempt, policy)
                        .isGreaterThanOrEqualTo(policy.minDelayAfter(attempt).minusMillis(30))
                        .isLessThanOrEqualTo(policy.maxDelayAfter(attempt).plus(t(1_000)));
            }
            Duration first = Duration.ofNanos(times.get(1) - times.get(0));
            Duration last = Duration.ofNanos(times.get(4) - times.get(3));
            assertThat(last).as("the delay grows: first gap %s, last gap %s", first, last).isGreaterThan(first);
        }

        @Test
        @DisplayName("a failure the retry policy marks non-retryable is dead-lettered at attempt 1 with the reason and the attempt count; other failures are retried")
        void nonRetryable() {
            Broker b = connected("a");
            boolean groups = b.capabilities().contains(Capability.QUEUE_GROUPS);
            boolean deadLetters = b.capabilities().contains(Capability.DEAD_LETTER);
            String topic = topic("fatal");
            String dlt = topic("fatal-dead");
            Inbox dead = new Inbox();
            if (deadLetters) {
                b.subscribe(dlt, dead);
            }
            Map<String, List<Integer>> attempts = new ConcurrentHashMap<>();
            RetryPolicy policy = RetryPolicy.fixed(Duration.ofMillis(100)).withMaxDeliveries(3)
                    .nonRetryable(IllegalArgumentException.class);
            b.subscribe(topic, e -> {
                attempts.computeIfAbsent(e.message().bodyAsString(), k -> new CopyOnWriteArrayList<>()).add(e.deliveryAttempt());
                if (e.message().bodyAsString().equals("fatal")) {
                    // wrapped: the policy looks through the cause chain
                    throw new IllegalStateException("wrapper", new IllegalArgumentException("cannot parse order 42"));
                }
                if (e.deliveryAttempt() < 2) {
                    throw new IllegalStateException("transient");
                }
            }, SubscribeOptions.builder().queue(groups ? group("fatal") : null).retry(policy)
                    .deadLetterTopic(deadLetters ? dlt : null).build());
            Message fatal = text("fatal");
            b.publish(topic, fatal);
            b.publish(topic, text("transient"));
            await().atMost(t(20_000)).until(() -> attempts.getOrDefault("transient", List.of()).size() >= 2);
            if (deadLetters) {
                dead.awaitCount(1, t(20_000));
                Message got = dead.messages().get(0);
                assertThat(got.id()).isEqualTo(fatal.id());
                assertThat(got.header(Headers.DEAD_LETTER_REASON)).contains("IllegalStateException").contains("wrapper");
                assertThat(got.header(Headers.DEAD_LETTER_ATTEMPTS)).isEqualTo("1");
                assertThat(got.header(Headers.DEAD_LETTER_TOPIC)).isEqualTo(topic);
            }
            await().during(t(700)).atMost(t(10_000)).until(() -> attempts.get("fatal").size() == 1
                    && attempts.get("transient").size() == 2);
            assertThat(attempts.get("fatal")).containsExactly(1);
            assertThat(attempts.get("transient")).containsExactly(1, 2);
            if (deadLetters) {
                dead.assertStaysAt(1, t(300));
            }
        }

        @Test
        @DisplayName("[DEAD_LETTER] when publishing the dead letter fails, the message is not lost: the worker goes on, one error is logged per failed attempt, and the dead letter arrives once it can be published")
        void deadLetterPublishFails() {
            Broker probe = createBroker(node("probe"));
            assumeCapability(probe, Capability.DEAD_LETTER);
            boolean groups = probe.capabilities().contains(Capability.QUEUE_GROUPS);
            String topic = topic("refused");
            String dlt = topic("refused-dead");
            int refusals = 2;
            AtomicInteger refused = new AtomicInteger();
            PublishInterceptor refuseDeadLetters = chain -> chain.topic().equals(dlt) && refused.getAndIncrement() < refusals
                    ? CompletableFuture.failedFuture(new PublishException("the kit refuses dead letter " + refused.get()))
                    : chain.proceed(chain.message());
            Broker b = disconnected("a");
            b.init(b.options().toBuilder().publishInterceptor(refuseDeadLetters).build());
            b.connect();
            Inbox dead = new Inbox();
            b.subscribe(dlt, dead);
            Inbox good = new Inbox();
            AtomicInteger poisonAttempts = new AtomicInteger();
            Message poison = Message.builder().body("poison").header("x-origin", "kit").build();
            try (LogCapture log = LogCapture.start()) {
                b.subscribe(topic, e -> {
                    if (e.message().id().equals(poison.id())) {
                        poisonAttempts.incrementAndGet();
                        throw new IllegalStateException("cannot digest poison");
                    }
                    good.handle(e);
                }, SubscribeOptions.builder().queue(groups ? group("refused") : null)
                        .retry(RetryPolicy.fixed(Duration.ofMillis(50)).withMaxDeliveries(2)).deadLetterTopic(dlt).build());
                b.publish(topic, poison);
                await().atMost(t(20_000)).until(() -> refused.get() >= 1);
                // the refused dead letter holds up nobody: the next message is handled at once
                Message next = text("next");
                b.publish(topic, next);
                good.awaitCount(1, t(2_000));
                dead.awaitCount(1, t(30_000)).assertStaysAt(1, t(500));
                Message got = dead.messages().get(0);
                assertThat(got.id()).isEqualTo(poison.id());
                assertThat(got.header("x-origin")).isEqualTo("kit");
                assertThat(got.header(Headers.DEAD_LETTER_REASON)).contains("cannot digest poison");
                assertThat(Integer.parseInt(got.header(Headers.DEAD_LETTER_ATTEMPTS))).isGreaterThanOrEqualTo(2);
                assertThat(refused.get()).isEqualTo(refusals + 1);
                assertThat(log.count("Could not dead-letter message " + poison.id())).as("one error per refused dead letter")
                        .isEqualTo(refusals);
                assertThat(log.count("Dropping message " + poison.id())).isZero();
            }
        }
    }

    // ---------------------------------------------------------------- 24-27

    @Nested
    @DisplayName("Request and reply")
    class RequestReply {
        @BeforeEach
        void requires() {
            assumeCapability(Capability.REQUEST_REPLY);
        }

        @Test
        @DisplayName("request gets the reply; 100 concurrent requests each get their own")
        void requestReply() throws Exception {
            Broker server = connected("server");
            Broker client = connected("client");
            String topic = topic("echo");
            server.subscribe(topic, e -> e.reply(text("re:" + e.message().bodyAsString())),
                    SubscribeOptions.builder().concurrency(4).build());
            Message reply = client.request(topic, text("ping"), t(10_000)).get(20, TimeUnit.SECONDS);
            assertThat(reply.bodyAsString()).isEqualTo("re:ping");
            List<CompletableFuture<Message>> futures = IntStream.range(0, 100)
                    .mapToObj(i -> client.request(topic, text("q" + i), t(20_000)))
                    .collect(Collectors.toList());
            for (int i = 0; i < 100; i++) {
                assertThat(futures.get(i).get(30, TimeUnit.SECONDS).bodyAsString()).isEqualTo("re:q" + i);
            }
        }

        @Test
        @DisplayName("a request nobody answers fails within its timeout")
        void noResponder() {
            Broker client = connected("client");
            Duration timeout = Duration.ofMillis(800);
            long start = System.nanoTime();
            CompletableFuture<Message> f = client.request(topic("nobody"), text("hello?"), timeout);
            Throwable failure = catchThrowable(() -> f.get(30, TimeUnit.SECONDS));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(failure).hasCauseInstanceOf(RequestException.class);
            assertThat(took).isLessThan(timeout.plus(t(3_000)));
        }

        @Test
        @DisplayName("a request to a queue group gets exactly one reply, from one member")
        void requestToGroup() throws Exception {
            String topic = topic("quote");
            String group = group("pricing");
            AtomicInteger handled = new AtomicInteger();
            for (int i = 0; i < 3; i++) {
                String member = "m" + i;
                connected(member).subscribe(topic, e -> {
                    handled.incrementAndGet();
                    e.reply(text(member));
                }, SubscribeOptions.builder().queue(group).build());
            }
            Broker client = connected("client");
            Message reply = client.request(topic, text("sku-1"), t(10_000)).get(20, TimeUnit.SECONDS);
            assertThat(reply.bodyAsString()).startsWith("m");
            await().during(t(300)).atMost(t(5_000)).until(() -> handled.get() == 1);
        }

        @Test
        @DisplayName("requests create no per-request server resources: the server's resource count is unchanged after 1,000 requests")
        void noPerRequestResources() throws Exception {
            Broker server = connected("server");
            Broker client = connected("client");
            String topic = topic("count");
            server.subscribe(topic, e -> e.reply(text("ok")), SubscribeOptions.builder().concurrency(4).build());
            client.request(topic, text("warm-up"), t(10_000)).get(20, TimeUnit.SECONDS);
            long before = serverResourceCount();
            Assumptions.assumeTrue(before >= 0, "the kit class cannot count the server's resources; override serverResourceCount()");
            int total = n(1000);
            for (int batch = 0; batch < total; batch += 100) {
                List<CompletableFuture<Message>> futures = new ArrayList<>();
                for (int i = batch; i < Math.min(total, batch + 100); i++) {
                    futures.add(client.request(topic, text("r" + i), t(20_000)));
                }
                for (CompletableFuture<Message> f : futures) {
                    assertThat(f.get(60, TimeUnit.SECONDS).bodyAsString()).isEqualTo("ok");
                }
            }
            long after = serverResourceCount();
            assertThat(after).as("server resources after %d requests (before: %d)", total, before).isLessThanOrEqualTo(before);
        }
    }

    // ---------------------------------------------------------------- 28-30

    @Nested
    @DisplayName("Bad input")
    class BadInput {
        @Test
        @DisplayName("null, empty, too long, whitespace and wildcard topics are rejected at the call, before any I/O")
        void badTopics() {
            Broker b = disconnected("a");
            String tooLong = "a." + "x".repeat(300);
            for (String bad : new String[] {"", " ", "a b", "a..b", ".a", "a.", tooLong, "a\tb", "a.\u0001"}) {
                assertThatThrownBy(() -> b.publish(bad, text("x"))).as("publish to '%s'", bad).isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> b.subscribe(bad, e -> { })).as("subscribe to '%s'", bad).isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> b.request(bad, text("x"), Duration.ofSeconds(1))).as("request to '%s'", bad)
                        .isInstanceOf(IllegalArgumentException.class);
            }
            for (String pattern : new String[] {"a.*", "a.>", "*", ">"}) {
                assertThatThrownBy(() -> b.publish(pattern, text("x"))).as("publish to pattern '%s'", pattern)
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wildcard");
            }
            assertThatThrownBy(() -> b.subscribe("a.>.b", e -> { })).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> b.subscribe("a.b*", e -> { })).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> b.publish(null, text("x"))).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> b.subscribe(null, e -> { })).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> b.publish("a.b", null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> b.subscribe("a.b", null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> b.subscribe("a.b", e -> { }, null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> b.request("a.b", text("x"), Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> SubscribeOptions.builder().concurrency(-1).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("concurrency").hasMessageContaining("-1");
            assertThatThrownBy(() -> SubscribeOptions.builder().bufferSize(0).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bufferSize");
            assertThatThrownBy(() -> SubscribeOptions.builder().queue("bad group").build())
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(b.isConnected()).isFalse();
        }

        @Test
        @DisplayName("a bad URL or an unknown scheme is a clear exception")
        void badUrls() {
            assertThatThrownBy(() -> Brokers.create("nosuchscheme://host:1"))
                    .isInstanceOf(ProviderNotFoundException.class)
                    .hasMessageContaining("nosuchscheme")
                    .hasMessageContaining(disconnected("a").name());
            assertThatThrownBy(() -> Brokers.create("no-scheme-here")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("scheme");
        }

        @Test
        @DisplayName("a broker survives a handler that fails while replying and bad replies")
        void replyWithoutRequest() {
            Broker b = connected("a");
            String topic = topic("noreply");
            AtomicBoolean refused = new AtomicBoolean();
            Inbox inbox = new Inbox();
            b.subscribe(topic, e -> {
                try {
                    e.reply(text("to nobody"));
                } catch (IllegalStateException expected) {
                    refused.set(true);
                }
                inbox.handle(e);
            });
            b.publish(topic, text("plain publish"));
            inbox.awaitCount(1, t(10_000));
            assertThat(refused).as("reply to a message not sent with request() is refused").isTrue();
            assertThatCode(() -> b.publish(topic, text("still fine"))).doesNotThrowAnyException();
            inbox.awaitCount(2, t(10_000));
        }

        @Test
        @DisplayName("a message over the backend's size limit fails with a clear exception; the connection keeps working")
        void messageTooLarge() throws Exception {
            long limit = maxMessageBytes();
            Assumptions.assumeTrue(limit > 0, "the kit class states no message size limit; override maxMessageBytes()");
            Broker b = connected("a");
            String topic = topic("big");
            Inbox inbox = new Inbox();
            b.subscribe(topic, inbox);
            byte[] tooBig = new byte[Math.toIntExact(limit + 1)];
            Throwable failure = catchThrowable(() -> b.publish(topic, Message.of(tooBig)));
            assertThat(failure).isInstanceOf(dev.omnibus.broker.MessageTooLargeException.class)
                    .hasMessageContaining(topic).hasMessageContaining(Long.toString(limit));
            Throwable async = catchThrowable(() -> b.publishAsync(topic, Message.of(tooBig)).get(30, TimeUnit.SECONDS));
            assertThat(async).as("publishAsync of a message over the limit").isNotNull();
            assertThat(async instanceof java.util.concurrent.ExecutionException ? async.getCause() : async)
                    .isInstanceOf(dev.omnibus.broker.MessageTooLargeException.class);
            assertThat(b.isConnected()).as("still connected").isTrue();
            b.publish(topic, text("small, after"));
            b.publish(topic, Message.of(new byte[(int) Math.min(limit / 2, 64 * 1024)]));
            inbox.awaitCount(2, t(10_000)).assertStaysAt(2, t(200));
        }

        @Test
        @DisplayName("wrong credentials: connect fails within connectTimeout with a clear exception naming the address, never the password")
        void wrongCredentials() {
            String password = "Wr0ng-" + run + "-pw";
            BrokerOptions options = optionsWithWrongCredentials(password);
            Assumptions.assumeTrue(options != null,
                    "the server under test checks no credentials (or the kit class does not say how); override optionsWithWrongCredentials()");
            Broker b = Brokers.create(options.toBuilder().connectTimeout(Duration.ofSeconds(3)).build());
            brokers.add(b);
            long start = System.nanoTime();
            Throwable failure = catchThrowable(b::connect);
            assertThat(failure).as("connect with a wrong password").isInstanceOf(BrokerException.class);
            assertThat(failure.getMessage()).contains(b.address());
            for (Throwable c = failure; c != null; c = c.getCause()) {
                assertThat(String.valueOf(c.getMessage())).as("message of %s", c.getClass().getName()).doesNotContain(password);
            }
            assertThat(b.address() + b).doesNotContain(password);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3).plus(t(5_000)));
            assertThat(b.isConnected()).isFalse();
        }
    }

    // ---------------------------------------------------------------- typed events

    /** A resource kind for the typed-event tests. */
    @ResourceKind("tckworkload")
    public record Workload(String name, int replicas, Instant changedAt) {
    }

    @Nested
    @DisplayName("Typed events")
    class TypedEvents {
        @Test
        @DisplayName("resource events published on one broker instance arrive decoded, in order, on another")
        void resourceEventsAcrossInstances() {
            Broker a = connected("a");
            Broker b = connected("b");
            ResourceEvents publisher = new ResourceEvents(EventBus.create(a));
            List<ResourceEvent<Workload>> got = new CopyOnWriteArrayList<>();
            new ResourceEvents(EventBus.create(b)).subscribe((event, delivery) -> got.add(event), Workload.class);
            Workload v1 = new Workload("web-" + run, 1, Instant.parse("2026-01-01T00:00:00Z"));
            Workload v2 = new Workload("web-" + run, 3, Instant.parse("2026-01-01T00:05:00Z"));
            publisher.publishCreated(v1);
            publisher.publishUpdated(v1, v2);
            publisher.publishDeleted(v2);
            await().atMost(t(10_000)).until(() -> got.size() >= 3);
            List<ResourceEvent<Workload>> mine = got.stream().filter(e -> e.resource().name().equals(v1.name()))
                    .collect(Collectors.toList());
            assertThat(mine).containsExactly(new ResourceEvent.Created<>(v1), new ResourceEvent.Updated<>(v1, v2),
                    new ResourceEvent.Deleted<>(v2));
        }

        @Test
        @DisplayName("[DEAD_LETTER] a body that does not decode into the subscribed type ends in the dead-letter topic")
        void undecodableToDeadLetter() {
            Broker b = connected("a");
            assumeCapability(b, Capability.DEAD_LETTER);
            String topic = topic("typed");
            String dlt = topic("typed-dead");
            Inbox dead = new Inbox();
            b.subscribe(dlt, dead);
            List<Workload> good = new CopyOnWriteArrayList<>();
            EventBus.create(b).subscribe(topic, Workload.class, (w, e) -> good.add(w),
                    SubscribeOptions.builder().deadLetterTopic(dlt).build());
            Message poison = text("{\"name\": [not json");
            b.publish(topic, poison);
            EventBus.create(b).publish(topic, new Workload("ok", 1, Instant.EPOCH));
            dead.awaitCount(1, t(10_000));
            await().atMost(t(10_000)).until(() -> good.size() == 1);
            assertThat(dead.messages().get(0).id()).isEqualTo(poison.id());
            assertThat(dead.messages().get(0).header(Headers.DEAD_LETTER_REASON)).contains("CodecException");
        }
    }

    // ---------------------------------------------------------------- 22-23

    @Nested
    @DisplayName("Durability")
    class Durability {
        @BeforeEach
        void requires() {
            assumeCapability(Capability.DURABLE_SUBSCRIPTIONS);
            assumeCapability(Capability.QUEUE_GROUPS);
        }

        @Test
        @DisplayName("[DURABLE_SUBSCRIPTIONS] messages published while a durable group has no member are delivered when a member subscribes")
        void messagesWaitForAMember() {
            String topic = topic("waits");
            SubscribeOptions durable = SubscribeOptions.builder().queue(group("keepers")).durable(true).build();
            Broker first = connected("first");
            first.subscribe(topic, e -> { }, durable).unsubscribe();
            Broker pub = connected("pub");
            List<String> batch1 = publishMany(pub, topic, 20, "b1-");
            Broker second = connected("second");
            Inbox inbox2 = new Inbox();
            second.subscribe(topic, inbox2, durable);
            inbox2.awaitCount(20, t(20_000)).assertStaysAt(20, t(300));
            assertExactlyOnce(batch1, inbox2.ids());
            // the member's whole broker goes away this time
            second.disconnect();
            List<String> batch2 = publishMany(pub, topic, 20, "b2-");
            Inbox inbox3 = new Inbox();
            connected("third").subscribe(topic, inbox3, durable);
            inbox3.awaitCount(20, t(20_000)).assertStaysAt(20, t(300));
            assertExactlyOnce(batch2, inbox3.ids());
        }

        @Test
        @DisplayName("[DURABLE_SUBSCRIPTIONS] a member's broker disconnecting with unacked messages: another member receives them")
        void unackedGoToAnotherMember() {
            Broker a = connected("a");
            assumeCapability(a, Capability.ACKNOWLEDGEMENT);
            Broker b = connected("b");
            Broker pub = connected("pub");
            String topic = topic("unacked");
            SubscribeOptions manual = SubscribeOptions.builder().queue(group("holders")).durable(true).autoAck(false).prefetch(50).build();
            List<Event> held = new CopyOnWriteArrayList<>();
            a.subscribe(topic, held::add, manual);
            List<String> sent = publishMany(pub, topic, 10, "u-");
            await().atMost(t(20_000)).until(() -> held.size() >= 10);
            Inbox second = new Inbox();
            b.subscribe(topic, e -> {
                second.handle(e);
                e.ack();
            }, manual);
            a.disconnect();
            second.awaitCount(10, t(30_000)).assertStaysAt(10, t(300));
            assertExactlyOnce(sent, second.ids());
        }
    }

    // ---------------------------------------------------------------- 31-32

    @Nested
    @DisplayName("Faults")
    class Faults {
        @Test
        @DisplayName("[PUBLISH_CONFIRMS] [DURABLE_SUBSCRIPTIONS] the server restarted twice while 100 publishers send 10,000 messages to a durable group: every message arrives, duplicates counted")
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
                                    try {
                                        pub.publish(topic, m);
                                        sent.add(m.id());
                                        break;
                                    } catch (BrokerException e) {
                                        retries.incrementAndGet();
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
                String line = report("server restarted twice (item 31)", total, sent, received,
                        "publish retries " + retries.get() + ", " + (System.nanoTime() - started) / 1_000_000 + " ms, " + server.description());
                assertThat(sent).as("every publish eventually returned").hasSize(total);
                List<String> lost = sent.stream().filter(id -> !counts.containsKey(id)).collect(Collectors.toList());
                assertThat(lost).as("lost after two restarts: " + line + (late == null ? "" : " (gave up waiting)")).isEmpty();
            } finally {
                pool.shutdownNow();
                server.ensureRunning();
            }
        }

        @Test
        @DisplayName("connections cut through a TCP proxy and restored: subscriptions resume by themselves; a publish during the cut waits, then succeeds")
        void networkCut() throws Exception {
            URI address = networkAddress();
            try (TcpProxy proxy = TcpProxy.to(address.getHost(), address.getPort())) {
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
                report("connections cut (item 32)", expected.size(), expected, broadcast.ids().stream().filter(expected::contains)
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
        @DisplayName("a publish while the connection stays cut fails with a BrokerException after publishTimeout, never returns normally")
        void publishDuringLongCutFails() {
            URI address = networkAddress();
            try (TcpProxy proxy = TcpProxy.to(address.getHost(), address.getPort())) {
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

        private URI networkAddress() {
            String url = createBroker(node("probe")).options().url();
            URI uri = URI.create(url.split(",")[0].trim());
            Assumptions.assumeTrue(uri.getHost() != null && uri.getPort() > 0,
                    "the backend has no network address to cut (" + uri.getScheme() + ")");
            return uri;
        }

        /** Waits until the broker noticed its connection is gone, where it can tell (bounded; some notice only on use). */
        private void awaitNoticed(Broker b) {
            catchThrowable(() -> await().atMost(t(10_000)).pollInterval(Duration.ofMillis(50)).until(() -> !b.isConnected()));
        }
    }

    // ---------------------------------------------------------------- 33-35

    @Nested
    @DisplayName("Cluster across processes")
    class ClusterAcrossProcesses {
        private final List<dev.omnibus.broker.tck.cluster.NodeProcess> nodes = new CopyOnWriteArrayList<>();

        @BeforeEach
        void requires() {
            assumeCapability(Capability.CROSS_PROCESS);
        }

        @AfterEach
        void stopNodes() {
            nodes.parallelStream().forEach(dev.omnibus.broker.tck.cluster.NodeProcess::close);
        }

        private dev.omnibus.broker.tck.cluster.NodeProcess start(String name, String... role) {
            String id = node(name);
            dev.omnibus.broker.tck.cluster.NodeProcess p = dev.omnibus.broker.tck.cluster.NodeProcess.start(childOptions(id), id, role);
            nodes.add(p);
            return p;
        }

        private void awaitReady(List<dev.omnibus.broker.tck.cluster.NodeProcess> started) {
            for (dev.omnibus.broker.tck.cluster.NodeProcess p : started) {
                p.awaitReady(t(60_000));
            }
        }

        @Test
        @DisplayName("[CROSS_PROCESS] 3 child JVMs in one group and 1 publishing: each message processed once per group across processes; broadcast reaches every process")
        void groupAcrossProcesses() {
            assumeCapability(Capability.QUEUE_GROUPS);
            String topic = topic("procs");
            String group = group("procs");
            int count = n(1000);
            List<dev.omnibus.broker.tck.cluster.NodeProcess> members = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                members.add(start("member" + i, "member", topic, group, "0", "broadcast"));
            }
            awaitReady(members);
            dev.omnibus.broker.tck.cluster.NodeProcess publisher = start("publisher", "publish", topic, Integer.toString(count));
            publisher.awaitLine("DONE", t(120_000));
            List<String> sent = publisher.facts("SENT");
            assertThat(sent).hasSize(count);
            Throwable late = catchThrowable(() -> await().atMost(t(60_000)).pollInterval(Duration.ofMillis(100))
                    .until(() -> members.stream().mapToInt(m -> m.count("group")).sum() >= count
                            && members.stream().allMatch(m -> m.count("broadcast") >= count)));
            awaitQuiet(() -> members.stream().mapToInt(m -> m.count("group") + m.count("broadcast")).sum(), t(500), t(10_000));
            List<String> grouped = members.stream().flatMap(m -> m.facts("group").stream()).collect(Collectors.toList());
            report("3 processes in a group + 1 publisher (item 33)", count, sent, grouped,
                    "per member " + members.stream().map(m -> Integer.toString(m.count("group"))).collect(Collectors.joining("/"))
                            + ", broadcast " + members.stream().map(m -> Integer.toString(m.count("broadcast"))).collect(Collectors.joining("/")));
            assertThat(Inbox.difference(sent, grouped)).as("group across processes, each message once" + (late == null ? "" : " (gave up waiting)"))
                    .isEmpty();
            for (dev.omnibus.broker.tck.cluster.NodeProcess m : members) {
                assertThat(Inbox.difference(sent, m.facts("broadcast"))).as("broadcast at %s", m.nodeId()).isEmpty();
            }
        }

        @Test
        @DisplayName("[CROSS_PROCESS] kill -9 of a group member mid-stream: the others take over; with [ACKNOWLEDGEMENT] nothing is lost")
        void killedMember() {
            assumeCapability(Capability.QUEUE_GROUPS);
            Broker pub = connected("pub");
            boolean acks = pub.capabilities().contains(Capability.ACKNOWLEDGEMENT);
            String topic = topic("kill");
            String group = group("kill");
            int count = 600;
            List<dev.omnibus.broker.tck.cluster.NodeProcess> members = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                members.add(start("member" + i, "member", topic, group, "3"));
            }
            awaitReady(members);
            List<String> sent = publishMany(pub, topic, count, "k-");
            dev.omnibus.broker.tck.cluster.NodeProcess victim = members.get(0);
            await().atMost(t(60_000)).pollInterval(Duration.ofMillis(10)).until(() -> victim.count("group") >= 20);
            victim.kill();
            int victimCount = victim.count("group");
            List<dev.omnibus.broker.tck.cluster.NodeProcess> survivors = members.subList(1, 3);
            java.util.function.Supplier<java.util.Set<String>> seen = () -> members.stream().flatMap(m -> m.facts("group").stream())
                    .collect(Collectors.toSet());
            Throwable late = null;
            if (acks) {
                late = catchThrowable(() -> await().atMost(t(120_000)).pollInterval(Duration.ofMillis(100))
                        .until(() -> seen.get().containsAll(sent)));
            }
            awaitQuiet(() -> survivors.stream().mapToInt(m -> m.count("group")).sum(), t(acks ? 1_000 : 3_000), t(120_000));
            List<String> received = members.stream().flatMap(m -> m.facts("group").stream()).collect(Collectors.toList());
            String line = report("kill -9 of a member mid-stream (item 34)", count, sent, received,
                    "killed member handled " + victimCount + (acks ? "" : ", no ACKNOWLEDGEMENT: losses reported, not failed"));
            assertThat(survivors.stream().mapToInt(m -> m.count("group")).sum()).as("the survivors took over").isPositive();
            if (acks) {
                List<String> lost = sent.stream().filter(id -> !seen.get().contains(id)).collect(Collectors.toList());
                assertThat(lost).as(line + (late == null ? "" : " (gave up waiting)")).isEmpty();
            }
        }

        @Test
        @DisplayName("[CROSS_PROCESS] [REQUEST_REPLY] request/reply between processes, both ways")
        void requestReplyAcrossProcesses() throws Exception {
            assumeCapability(Capability.REQUEST_REPLY);
            String toChild = topic("child-answers");
            String toParent = topic("parent-answers");
            Broker here = connected("here");
            here.subscribe(toParent, e -> e.reply(text("parent:" + e.message().bodyAsString())));
            dev.omnibus.broker.tck.cluster.NodeProcess responder = start("responder", "responder", toChild);
            responder.awaitReady(t(60_000));
            int count = n(100);
            List<CompletableFuture<Message>> replies = IntStream.range(0, count)
                    .mapToObj(i -> here.request(toChild, text("q" + i), t(20_000))).collect(Collectors.toList());
            for (int i = 0; i < count; i++) {
                assertThat(replies.get(i).get(60, TimeUnit.SECONDS).bodyAsString()).isEqualTo("re:q" + i + "@" + responder.nodeId());
            }
            dev.omnibus.broker.tck.cluster.NodeProcess requester = start("requester", "requester", toParent, "10");
            requester.awaitLine("DONE", t(120_000));
            assertThat(requester.facts("FAILED")).as("failed requests from the child").isEmpty();
            assertThat(requester.facts("REPLY")).containsExactlyElementsOf(
                    IntStream.range(0, 10).mapToObj(i -> "parent:q" + i).collect(Collectors.toList()));
            report("request/reply between processes (item 35)", count + 10, List.of(), List.of(),
                    count + " requests to a child and 10 from a child answered");
        }
    }

    private static List<String> publishMany(Broker pub, String topic, int count, String prefix) {
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Message m = text(prefix + i);
            pub.publish(topic, m);
            sent.add(m.id());
        }
        return sent;
    }

    /** Waits until {@code count} stops changing for {@code quiet}, at most {@code atMost} (no failure when it keeps changing). */
    private static void awaitQuiet(java.util.function.IntSupplier count, Duration quiet, Duration atMost) {
        AtomicInteger last = new AtomicInteger(-1);
        java.util.concurrent.atomic.AtomicLong since = new java.util.concurrent.atomic.AtomicLong(System.nanoTime());
        catchThrowable(() -> await().atMost(atMost).pollInterval(Duration.ofMillis(50)).until(() -> {
            int c = count.getAsInt();
            long now = System.nanoTime();
            if (c != last.getAndSet(c)) {
                since.set(now);
            }
            return now - since.get() >= quiet.toNanos();
        }));
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    /** Simulates a handler busy with work for {@code d} (not a synchronisation wait). */
    private static void busy(Duration d) throws InterruptedException {
        Thread.sleep(d.toMillis());
    }

    // ---------------------------------------------------------------- concurrency

    @Nested
    @DisplayName("Concurrency")
    class Concurrency {
        @Test
        @DisplayName("20 subscriptions on 20 topics created at once from 20 threads of one broker: each gets all of its 100 messages; the connection is never lost")
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
        @DisplayName("[QUEUE_GROUPS] [ACKNOWLEDGEMENT] a group member unsubscribing mid-stream: what it held reaches the other member within seconds, not after an ack timeout; nothing lost")
        void leaverHandsBackAtOnce() throws Exception {
            leaveMidStream(false);
        }

        @Test
        @DisplayName("[QUEUE_GROUPS] [ACKNOWLEDGEMENT] [DURABLE_SUBSCRIPTIONS] the same for a durable group: the rest arrive within seconds, nothing lost")
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
}
