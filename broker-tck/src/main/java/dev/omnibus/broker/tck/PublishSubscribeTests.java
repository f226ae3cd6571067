package dev.omnibus.broker.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.Event;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Subscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Kit group "Publish and subscribe": delivery, isolation, wildcards, broadcast, unsubscribe, order and concurrency. Run by {@link BrokerCompatibilityKit}; the numbers in
 * the display names are those of the kit's catalogue, {@code broker-tck/BEHAVIOURS.md}.
 */
public abstract class PublishSubscribeTests extends KitGroup {
    protected PublishSubscribeTests(BrokerCompatibilityKit kit) {
        super(kit);
    }
    @Test
    @DisplayName("6. 100 messages arrive intact: bodies (empty, all 256 byte values), UTF-8 headers and ids")
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
    @DisplayName("7. a subscription receives only its own topic's messages")
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
    @DisplayName("8. [WILDCARDS] '*' matches exactly one token and a final '>' one or more, as the table says; publishing to a pattern is rejected")
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
    @DisplayName("9. several broadcast subscriptions, on one and on different broker instances, each receive every message")
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
    @DisplayName("10. unsubscribe stops delivery, waits for running handlers, and is idempotent; subscribing again works")
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
    @DisplayName("11. [ORDERED_DELIVERY] 1,000 messages from one publisher arrive in order at a concurrency-1 subscription")
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
    @DisplayName("12. 20 publisher threads × 500 messages to 5 subscriptions: nothing lost, no duplicate")
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
    @DisplayName("13. concurrency(n > 1) runs up to n handlers at once, never more")
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
            busy(Duration.ofMillis(20)); // long enough for a worker too many to show up
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
    @DisplayName("14. a handler that throws (RuntimeException or Error) does not stop delivery of later messages")
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
