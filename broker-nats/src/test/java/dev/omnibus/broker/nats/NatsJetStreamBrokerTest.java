package dev.omnibus.broker.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerException;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.Event;
import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.MessageTooLargeException;
import dev.omnibus.broker.PublishException;
import dev.omnibus.broker.RequestException;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Subscription;
import dev.omnibus.broker.tck.LogCapture;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** JetStream mode against the shared local server, in a stream of its own that is deleted afterwards. */
class NatsJetStreamBrokerTest {
    static final String STREAM = "omnibus_test_" + Message.newId().substring(0, 8);
    static final String URL = NatsCoreBrokerTest.URL + "?jetstream=true&stream=" + STREAM + "&ackWait=PT5S";

    private static Connection raw;
    private static JetStreamManagement jsm;
    private final List<Broker> brokers = new ArrayList<>();
    private final String prefix = "jstest" + Message.newId().substring(0, 8);

    @BeforeAll
    static void admin() throws Exception {
        raw = Nats.connect(NatsCoreBrokerTest.URL);
        jsm = raw.jetStreamManagement();
    }

    @AfterAll
    static void cleanUp() throws Exception {
        try {
            jsm.deleteStream(STREAM);
        } catch (JetStreamApiException notThere) {
            // nothing to delete
        }
        assertThat(jsm.getStreamNames()).doesNotContain(STREAM);
        raw.close();
    }

    @Test
    @DisplayName("a message published again with the same id to the same topic is stored once (Nats-Msg-Id, the stream's duplicate window); to another topic it is a message of its own; the header never reaches the handler")
    void duplicateWindow() {
        Broker b = broker();
        String topic = prefix + ".dedup";
        List<Message> got = java.util.Collections.synchronizedList(new ArrayList<>());
        b.subscribe(prefix + ".>", e -> got.add(e.message()), SubscribeOptions.builder().queue("dedup").durable(true).build());
        Message m = Message.of("once");
        b.publish(topic, m);
        b.publish(topic, m);
        b.publish(topic + ".other", m);
        Message last = Message.of("last");
        b.publish(topic, last);
        await().atMost(Duration.ofSeconds(10)).until(() -> got.stream().anyMatch(x -> x.id().equals(last.id())));
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> got.size() == 3);
        assertThat(got).allSatisfy(x -> assertThat(x.headers()).doesNotContainKey("Nats-Msg-Id"));
    }

    private Broker broker() {
        Broker b = Brokers.create(URL);
        b.connect();
        brokers.add(b);
        return b;
    }

    @AfterEach
    void disconnect() {
        brokers.forEach(Broker::disconnect);
    }

    @Test
    @DisplayName("JetStream mode declares all nine capabilities")
    void capabilities() {
        assertThat(broker().capabilities()).isEqualTo(EnumSet.allOf(Capability.class));
    }

    @Test
    @DisplayName("publish is confirmed, stored in the stream, and a broadcast subscription's consumer is deleted on unsubscribe")
    void publishSubscribeAndCleanup() throws Exception {
        Broker b = broker();
        List<String> got = new CopyOnWriteArrayList<>();
        List<String> before = jsm.getConsumerNames(STREAM);
        Subscription s = b.subscribe(prefix + ".a", e -> got.add(e.message().bodyAsString()));
        List<String> created = new ArrayList<>(jsm.getConsumerNames(STREAM));
        created.removeAll(before);
        assertThat(created).hasSize(1);
        for (int i = 0; i < 20; i++) {
            b.publish(prefix + ".a", Message.of("m" + i));
        }
        b.publishAsync(prefix + ".a", Message.of("async")).get(5, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 21);
        assertThat(got.subList(0, 20)).containsExactly(java.util.stream.IntStream.range(0, 20).mapToObj(i -> "m" + i).toArray(String[]::new));
        assertThat(jsm.getStreamInfo(STREAM).getConfiguration().getSubjects()).contains(prefix, prefix + ".>");
        s.unsubscribe();
        assertThat(jsm.getConsumerNames(STREAM)).doesNotContainAnyElementsOf(created);
    }

    @Test
    @DisplayName("a broadcast subscription gets only messages published after it subscribed")
    void broadcastStartsNew() {
        Broker b = broker();
        b.publish(prefix + ".old", Message.of("before"));
        List<String> got = new CopyOnWriteArrayList<>();
        b.subscribe(prefix + ".old", e -> got.add(e.message().bodyAsString()));
        b.publish(prefix + ".old", Message.of("after"));
        await().atMost(Duration.ofSeconds(5)).until(() -> got.contains("after"));
        assertThat(got).containsExactly("after");
    }

    @Test
    @DisplayName("a queue group on two brokers gets each message once")
    void queueGroup() {
        Broker a = broker();
        Broker b = broker();
        Map<String, Integer> seen = new ConcurrentHashMap<>();
        AtomicInteger onA = new AtomicInteger();
        AtomicInteger onB = new AtomicInteger();
        SubscribeOptions group = SubscribeOptions.builder().queue("workers").build();
        a.subscribe(prefix + ".job", e -> { seen.merge(e.message().id(), 1, Integer::sum); onA.incrementAndGet(); }, group);
        b.subscribe(prefix + ".job", e -> { seen.merge(e.message().id(), 1, Integer::sum); onB.incrementAndGet(); }, group);
        for (int i = 0; i < 200; i++) {
            a.publish(prefix + ".job", Message.of("j" + i));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 200);
        assertThat(seen.values()).allMatch(n -> n == 1);
        assertThat(onA.get() + onB.get()).isEqualTo(200);
    }

    @Test
    @DisplayName("a failing handler sees attempts 1, 2, 3 spaced by redeliveryDelay, then the ack sticks")
    void redelivery() {
        Broker b = broker();
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        List<Long> times = new CopyOnWriteArrayList<>();
        b.subscribe(prefix + ".retry", e -> {
            attempts.add(e.deliveryAttempt());
            times.add(System.nanoTime());
            if (e.deliveryAttempt() < 3) {
                throw new IllegalStateException("not yet");
            }
        }, SubscribeOptions.builder().redeliveryDelay(Duration.ofMillis(300)).build());
        b.publish(prefix + ".retry", Message.of("x"));
        await().atMost(Duration.ofSeconds(10)).until(() -> attempts.size() == 3);
        assertThat(attempts).containsExactly(1, 2, 3);
        assertThat(Duration.ofNanos(times.get(1) - times.get(0))).isGreaterThanOrEqualTo(Duration.ofMillis(250));
        await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(2)).until(() -> attempts.size() == 3);
    }

    @Test
    @DisplayName("after maxDeliveries the message reaches the dead-letter topic with its headers and the reason")
    void deadLetter() {
        Broker b = broker();
        List<Message> dead = new CopyOnWriteArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        b.subscribe(prefix + "dlq.x", e -> dead.add(e.message()));
        b.subscribe(prefix + ".fail", e -> {
            calls.incrementAndGet();
            throw new IllegalArgumentException("bad payload");
        }, SubscribeOptions.builder().maxDeliveries(3).redeliveryDelay(Duration.ofMillis(50)).deadLetterTopic(prefix + "dlq.x").build());
        Message m = Message.builder().header("tenant", "t1").body("p").build();
        b.publish(prefix + ".fail", m);
        await().atMost(Duration.ofSeconds(10)).until(() -> dead.size() == 1);
        Message d = dead.get(0);
        assertThat(d.id()).isEqualTo(m.id());
        assertThat(d.header("tenant")).isEqualTo("t1");
        assertThat(d.header(Headers.DEAD_LETTER_REASON)).contains("bad payload");
        assertThat(d.header(Headers.DEAD_LETTER_ATTEMPTS)).isEqualTo("3");
        assertThat(d.header(Headers.DEAD_LETTER_TOPIC)).isEqualTo(prefix + ".fail");
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> calls.get() == 3);
    }

    @Test
    @DisplayName("a durable group keeps messages while it has no member")
    void durable() throws Exception {
        Broker b = broker();
        SubscribeOptions durable = SubscribeOptions.builder().queue("keeper").durable(true).build();
        b.subscribe(prefix + ".keep", e -> { }, durable).unsubscribe();
        for (int i = 0; i < 5; i++) {
            b.publish(prefix + ".keep", Message.of("k" + i));
        }
        List<String> got = new CopyOnWriteArrayList<>();
        b.subscribe(prefix + ".keep", e -> got.add(e.message().bodyAsString()), durable);
        await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 5);
        assertThat(got).containsExactly("k0", "k1", "k2", "k3", "k4");
        assertThat(jsm.getConsumerNames(STREAM)).contains(ConsumerNames.durable("keeper", prefix + ".keep"));
    }

    @Test
    @DisplayName("an unacked message of a member that leaves goes to another member at once")
    void manualAckHandBack() {
        Broker a = broker();
        Broker b = broker();
        SubscribeOptions manual = SubscribeOptions.builder().queue("manual").autoAck(false).build();
        List<Event> held = new CopyOnWriteArrayList<>();
        Subscription first = a.subscribe(prefix + ".m", held::add, manual);
        a.publish(prefix + ".m", Message.of("hold me"));
        await().atMost(Duration.ofSeconds(5)).until(() -> held.size() == 1);
        List<Event> second = new CopyOnWriteArrayList<>();
        b.subscribe(prefix + ".m", e -> { second.add(e); e.ack(); }, manual);
        long start = System.nanoTime();
        first.unsubscribe();
        await().atMost(Duration.ofSeconds(4)).until(() -> second.size() == 1);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4)); // well under ackWait 5 s
        assertThat(second.get(0).deliveryAttempt()).isEqualTo(2);
    }

    @Test
    @DisplayName("a member leaving mid-stream hands back what it had prefetched at once: the others get every message long before ackWait")
    void leaverHandsBackPrefetched() throws Exception {
        // ackWait of a minute: anything that waited for it would miss the 20 s deadline below
        String url = NatsCoreBrokerTest.URL + "?jetstream=true&stream=" + STREAM + "&ackWait=PT60S";
        SubscribeOptions group = SubscribeOptions.builder().queue("leavers").prefetch(100).build();
        Map<String, Integer> seen = new ConcurrentHashMap<>();
        List<Subscription> members = new ArrayList<>();
        List<AtomicInteger> handled = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Broker m = Brokers.create(url);
            m.connect();
            brokers.add(m);
            AtomicInteger count = new AtomicInteger();
            handled.add(count);
            members.add(m.subscribe(prefix + ".leave", e -> {
                Thread.sleep(2);
                count.incrementAndGet();
                seen.merge(e.message().bodyAsString(), 1, Integer::sum);
            }, group));
        }
        Broker pub = broker();
        int total = 2000;
        // still publishing while the member leaves: its pull requests are being filled as it goes
        java.util.concurrent.CompletableFuture<Void> publishing = java.util.concurrent.CompletableFuture.runAsync(() -> {
            for (int i = 0; i < total; i++) {
                pub.publish(prefix + ".leave", Message.of("n" + i));
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> handled.get(0).get() >= 50);
        long start = System.nanoTime();
        members.get(0).unsubscribe();
        int leaverHandled = handled.get(0).get();
        publishing.get(30, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(20)).until(() -> seen.size() == total);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(handled.get(0).get()).as("nothing reached the leaver after unsubscribe returned").isEqualTo(leaverHandled);
        assertThat(took).as("every message arrived well within ackWait").isLessThan(Duration.ofSeconds(20));
    }

    @Test
    @DisplayName("patterns, also with a leading wildcard, match as specified")
    void wildcards() {
        Broker b = broker();
        Set<String> star = ConcurrentHashMap.newKeySet();
        Set<String> tail = ConcurrentHashMap.newKeySet();
        b.subscribe("*.w.created", e -> star.add(e.topic()));
        b.subscribe(prefix + ".w.>", e -> tail.add(e.topic()));
        b.publish(prefix + ".w.created", Message.of("1"));
        b.publish(prefix + ".w.deleted", Message.of("2"));
        b.publish(prefix + ".w.created.more", Message.of("3"));
        await().atMost(Duration.ofSeconds(5)).until(() -> tail.size() == 3);
        await().atMost(Duration.ofSeconds(5)).until(() -> star.contains(prefix + ".w.created"));
        assertThat(star).containsExactly(prefix + ".w.created");
    }

    @Test
    @DisplayName("request/reply travels outside the stream; no responders fails at once")
    void requestReply() throws Exception {
        Broker b = broker();
        b.subscribe(prefix + ".svc", e -> e.reply(Message.of("ok:" + e.message().bodyAsString())));
        assertThat(b.request(prefix + ".svc", Message.of("q"), Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS).bodyAsString())
                .isEqualTo("ok:q");
        assertThat(jsm.getStreamInfo(STREAM).getConfiguration().getSubjects()).noneMatch(s -> s.startsWith("_INBOX") || s.startsWith("_omnibus.rpc"));
        long start = System.nanoTime();
        assertThatThrownBy(() -> b.request(prefix + ".none", Message.of("q"), Duration.ofSeconds(20)).get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(RequestException.class)
                .satisfies(e -> assertThat(((RequestException) e).noResponders()).isTrue());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    @DisplayName("the stream it creates keeps messages by limits for 7 days unless retention or maxAge say otherwise; bad values fail at create")
    void streamRetention() throws Exception {
        Map<String, String> created = Map.of(
                "limits", "",
                "interest", "&retention=interest",
                "forever", "&maxAge=0",
                "hour", "&retention=limits&maxAge=PT1H");
        Map<String, io.nats.client.api.StreamConfiguration> configs = new ConcurrentHashMap<>();
        try {
            for (Map.Entry<String, String> c : created.entrySet()) {
                String stream = STREAM + "_" + c.getKey();
                Broker b = Brokers.create(NatsCoreBrokerTest.URL + "?jetstream=true&stream=" + stream + c.getValue());
                b.connect();
                brokers.add(b);
                b.publish(prefix + c.getKey() + ".kept", Message.of("x")); // a first token per stream: subjects may not overlap
                configs.put(c.getKey(), jsm.getStreamInfo(stream).getConfiguration());
            }
        } finally {
            for (String c : created.keySet()) {
                try {
                    jsm.deleteStream(STREAM + "_" + c);
                } catch (JetStreamApiException notCreated) {
                    // the assertions below say why
                }
            }
        }
        assertThat(configs.get("limits").getRetentionPolicy()).isEqualTo(io.nats.client.api.RetentionPolicy.Limits);
        assertThat(configs.get("limits").getMaxAge()).isEqualTo(Duration.ofDays(7));
        assertThat(configs.get("interest").getRetentionPolicy()).isEqualTo(io.nats.client.api.RetentionPolicy.Interest);
        assertThat(configs.get("interest").getMaxAge()).isEqualTo(Duration.ZERO);
        assertThat(configs.get("forever").getRetentionPolicy()).isEqualTo(io.nats.client.api.RetentionPolicy.Limits);
        assertThat(configs.get("forever").getMaxAge()).isEqualTo(Duration.ZERO);
        assertThat(configs.get("hour").getMaxAge()).isEqualTo(Duration.ofHours(1));
        assertThatThrownBy(() -> Brokers.create(URL + "&retention=workqueue")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("property 'retention'").hasMessageContaining("workqueue");
        assertThatThrownBy(() -> Brokers.create(URL + "&retention=forever")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("property 'retention' must be one of").hasMessageContaining("'forever'");
        assertThatThrownBy(() -> Brokers.create(URL + "&maxAge=-PT1S")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("property 'maxAge' must not be negative");
    }

    @Test
    @DisplayName("an existing interest stream is used as it is, with one warning about its restart risk")
    void existingInterestStreamWarnsOnce() throws Exception {
        String stream = STREAM + "_old";
        jsm.addStream(io.nats.client.api.StreamConfiguration.builder().name(stream).subjects(prefix, prefix + ".>")
                .retentionPolicy(io.nats.client.api.RetentionPolicy.Interest).build());
        try (LogCapture log = LogCapture.start()) {
            Broker b = Brokers.create(NatsCoreBrokerTest.URL + "?jetstream=true&stream=" + stream);
            b.connect();
            brokers.add(b);
            List<String> got = new CopyOnWriteArrayList<>();
            b.subscribe(prefix + ".x", e -> got.add(e.message().bodyAsString()));
            b.publish(prefix + ".x", Message.of("one"));
            b.publish(prefix + ".y", Message.of("two"));
            await().atMost(Duration.ofSeconds(10)).until(() -> got.contains("one"));
            assertThat(jsm.getStreamInfo(stream).getConfiguration().getRetentionPolicy())
                    .isEqualTo(io.nats.client.api.RetentionPolicy.Interest);
            assertThat(log.count("has retention 'interest'")).isEqualTo(1);
        } finally {
            jsm.deleteStream(stream);
        }
    }

    @Test
    @DisplayName("a topic another stream already captures fails at once, naming the conflict and the fix")
    void foreignStreamConflict() throws Exception {
        String foreign = STREAM + "_foreign";
        String token = prefix + "f";
        jsm.addStream(io.nats.client.api.StreamConfiguration.builder().name(foreign).subjects(token + ".>").build());
        try {
            Broker b = Brokers.create(BrokerOptions.builder().url(URL).publishTimeout(Duration.ofSeconds(20)).build());
            b.connect();
            brokers.add(b);
            long start = System.nanoTime();
            assertThatThrownBy(() -> b.publish(token + ".x", Message.of("x"))).isInstanceOf(PublishException.class)
                    .hasMessageContaining("another stream already captures them").hasMessageContaining("property 'stream'");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("no waiting out the 20 s publishTimeout")
                    .isLessThan(Duration.ofSeconds(5));
            assertThatThrownBy(() -> b.publishAsync(token + ".y", Message.of("y")).get(5, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(PublishException.class).hasMessageContaining("another stream already captures them");
            assertThatThrownBy(() -> b.subscribe(token + ".x", e -> { })).isInstanceOf(BrokerException.class)
                    .hasMessageContaining("another stream already captures them");
        } finally {
            jsm.deleteStream(foreign);
        }
    }

    @Test
    @DisplayName("a stream another process deleted is created again by the next publish and publishAsync, and both are stored")
    void streamDeletedMeanwhile() throws Exception {
        String stream = STREAM + "_gone";
        Broker b = Brokers.create(NatsCoreBrokerTest.URL + "?jetstream=true&stream=" + stream);
        b.connect();
        brokers.add(b);
        try {
            b.publish(prefix + ".x", Message.of("one"));
            jsm.deleteStream(stream); // the broker still has the stream check cached: its next publish meets "no responders"
            b.publish(prefix + ".x", Message.of("two"));
            b.publishAsync(prefix + ".x", Message.of("three")).get(10, TimeUnit.SECONDS);
            assertThat(jsm.getStreamInfo(stream).getStreamState().getMsgCount()).isEqualTo(2);
        } finally {
            jsm.deleteStream(stream);
        }
    }

    @Test
    @DisplayName("disconnect() right after many publishAsync calls lets every one of them be confirmed")
    void disconnectWaitsForAsyncAcks() throws Exception {
        Broker b = Brokers.create(URL);
        b.connect();
        b.publish(prefix + ".last", Message.of("stream ready"));
        List<java.util.concurrent.CompletableFuture<Void>> pending = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            pending.add(b.publishAsync(prefix + ".last", Message.of("a" + i)));
        }
        b.disconnect();
        for (java.util.concurrent.CompletableFuture<Void> f : pending) {
            assertThat(f).succeedsWithin(Duration.ofSeconds(1));
        }
    }

    @Test
    @DisplayName("an oversize message fails clearly and the broker keeps publishing")
    void oversize() {
        Broker b = broker();
        assertThatThrownBy(() -> b.publish(prefix + ".big", Message.of(new byte[2 * 1024 * 1024])))
                .isInstanceOf(MessageTooLargeException.class).hasMessageContaining("1048576");
        b.publish(prefix + ".big", Message.of("fine"));
    }
}
