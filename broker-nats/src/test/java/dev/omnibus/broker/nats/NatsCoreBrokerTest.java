package dev.omnibus.broker.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.ConnectionException;
import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.MessageTooLargeException;
import dev.omnibus.broker.RequestException;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.UnsupportedCapabilityException;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Subscription;
import io.nats.client.impl.NatsMessage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Core NATS mode against the shared local server (OMNIBUS_NATS_URL or nats://127.0.0.1:4222). */
class NatsCoreBrokerTest {
    static final String URL = System.getenv().getOrDefault("OMNIBUS_NATS_URL", NatsBrokerProvider.DEFAULT_URL);

    private Broker broker;
    private Connection raw;
    private final String prefix = "omnibus-test-" + Message.newId().substring(0, 8);

    @BeforeEach
    void connect() throws Exception {
        broker = Brokers.create(URL);
        broker.connect();
        raw = Nats.connect(URL);
    }

    @AfterEach
    void close() throws Exception {
        broker.disconnect();
        raw.close();
    }

    @Test
    @DisplayName("core mode declares its capabilities and refuses manual ack at the call")
    void capabilities() {
        assertThat(broker.name()).isEqualTo("nats");
        assertThat(broker.capabilities()).containsExactlyInAnyOrder(Capability.QUEUE_GROUPS, Capability.WILDCARDS,
                Capability.REQUEST_REPLY, Capability.ORDERED_DELIVERY, Capability.CROSS_PROCESS, Capability.DEAD_LETTER);
        assertThatThrownBy(() -> broker.subscribe(prefix + ".a", e -> { }, SubscribeOptions.builder().autoAck(false).build()))
                .isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining("ACKNOWLEDGEMENT");
    }

    @Test
    @DisplayName("id, content-type and other headers travel as real NATS headers, both ways")
    void headersAreNatsHeaders() throws Exception {
        Subscription rawSub = raw.subscribe(prefix + ".out");
        raw.flush(Duration.ofSeconds(2));
        Message sent = Message.builder().contentType("application/json").header("x-plain", "abc")
                .header("x-utf8", "héllo wörld ✓").header("x-empty", "").body("{\"n\":1}").build();
        broker.publish(prefix + ".out", sent);

        io.nats.client.Message got = rawSub.nextMessage(Duration.ofSeconds(5));
        assertThat(got).isNotNull();
        assertThat(got.getHeaders().getFirst("id")).isEqualTo(sent.id());
        assertThat(got.getHeaders().getFirst("content-type")).isEqualTo("application/json");
        assertThat(got.getHeaders().getFirst("x-plain")).isEqualTo("abc");
        assertThat(NatsWire.decode(got.getHeaders().getFirst("x-utf8"))).isEqualTo("héllo wörld ✓");
        assertThat(new String(got.getData(), StandardCharsets.UTF_8)).isEqualTo("{\"n\":1}");

        List<Message> received = new CopyOnWriteArrayList<>();
        broker.subscribe(prefix + ".in", e -> received.add(e.message()));
        broker.subscribe(prefix + ".out", e -> received.add(e.message()));
        io.nats.client.impl.Headers h = new io.nats.client.impl.Headers().put("id", "from-go-1").put("content-type", "text/plain");
        raw.publish(NatsMessage.builder().subject(prefix + ".in").headers(h).data("hi".getBytes(StandardCharsets.UTF_8)).build());
        broker.publish(prefix + ".out", sent);
        await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 2);
        Message fromRaw = received.stream().filter(m -> m.id().equals("from-go-1")).findFirst().orElseThrow();
        assertThat(fromRaw.header(Headers.CONTENT_TYPE)).isEqualTo("text/plain");
        assertThat(fromRaw.bodyAsString()).isEqualTo("hi");
        Message roundTrip = received.stream().filter(m -> m.id().equals(sent.id())).findFirst().orElseThrow();
        assertThat(roundTrip.headers()).isEqualTo(sent.headers());
        assertThat(roundTrip.body()).isEqualTo(sent.body());
    }

    @Test
    @DisplayName("request/reply uses the shared inbox and interoperates with a plain NATS requester")
    void requestReply() throws Exception {
        broker.subscribe(prefix + ".echo", e -> e.reply(Message.of("re:" + e.message().bodyAsString())));
        Message reply = broker.request(prefix + ".echo", Message.of("x"), Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS);
        assertThat(reply.bodyAsString()).isEqualTo("re:x");
        io.nats.client.Message rawReply = raw.request(prefix + ".echo", "y".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(5));
        assertThat(new String(rawReply.getData(), StandardCharsets.UTF_8)).isEqualTo("re:y");
    }

    @Test
    @DisplayName("a request nobody subscribes to fails at once with noResponders")
    void noResponders() {
        long start = System.nanoTime();
        CompletableFuture<Message> f = broker.request(prefix + ".nobody", Message.of("x"), Duration.ofSeconds(20));
        assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(RequestException.class).hasMessageContaining("no responders")
                .satisfies(e -> assertThat(((RequestException) e).noResponders()).isTrue());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    @DisplayName("a message over max_payload fails naming both sizes and the connection keeps working")
    void oversize() {
        List<String> got = new CopyOnWriteArrayList<>();
        broker.subscribe(prefix + ".size", e -> got.add(e.message().bodyAsString()));
        byte[] big = new byte[2 * 1024 * 1024];
        assertThatThrownBy(() -> broker.publish(prefix + ".size", Message.of(big)))
                .isInstanceOf(MessageTooLargeException.class)
                .hasMessageContaining("exceeds the broker's limit of 1048576 bytes")
                .satisfies(e -> assertThat(((MessageTooLargeException) e).size()).isGreaterThan(2L * 1024 * 1024));
        broker.publish(prefix + ".size", Message.of("small"));
        await().atMost(Duration.ofSeconds(5)).until(() -> got.contains("small"));
        assertThat(broker.isConnected()).isTrue();
    }

    @Test
    @DisplayName("a failing handler's message goes to the dead-letter topic after maxDeliveries local attempts")
    void deadLetter() {
        List<Message> dead = new CopyOnWriteArrayList<>();
        AtomicInteger attempts = new AtomicInteger();
        broker.subscribe(prefix + ".dlq", e -> dead.add(e.message()));
        broker.subscribe(prefix + ".work", e -> {
            attempts.incrementAndGet();
            throw new IllegalStateException("boom");
        }, SubscribeOptions.builder().maxDeliveries(2).redeliveryDelay(Duration.ofMillis(50)).deadLetterTopic(prefix + ".dlq").build());
        Message m = Message.builder().header("k", "v").body("payload").build();
        broker.publish(prefix + ".work", m);
        await().atMost(Duration.ofSeconds(5)).until(() -> dead.size() == 1);
        assertThat(attempts).hasValue(2);
        assertThat(dead.get(0).id()).isEqualTo(m.id());
        assertThat(dead.get(0).header("k")).isEqualTo("v");
        assertThat(dead.get(0).header(Headers.DEAD_LETTER_REASON)).contains("boom");
    }

    @Test
    @DisplayName("nothing listening: a clear ConnectionException within connectTimeout naming the address")
    void unreachable() {
        Broker b = Brokers.create(BrokerOptions.builder().url("nats://user:topsecret@127.0.0.1:1")
                .connectTimeout(Duration.ofSeconds(2)).build());
        long start = System.nanoTime();
        assertThatThrownBy(b::connect).isInstanceOf(ConnectionException.class)
                .hasMessageContaining("nats://user:***@127.0.0.1:1")
                .satisfies(e -> assertThat(fullTrace(e)).doesNotContain("topsecret"));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        assertThat(b.address()).doesNotContain("topsecret");
        assertThat(b.toString()).doesNotContain("topsecret");
    }

    static String fullTrace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }
}
