package dev.omnibus.broker.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Message;
import dev.omnibus.broker.PublishException;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.ApiResponse;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StreamInfo;
import io.nats.client.impl.NatsMessage;
import io.nats.client.support.JsonParser;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The publish state machine on its own, against stand-ins for the connection, JetStream and its
 * management API, so that each turn (reconnect, 503, stream check, timeout, close) is driven
 * exactly. The same behaviour against real servers: NatsJetStreamBrokerTest, NatsOutageTest.
 */
class JetStreamPublisherTest {
    private static final String ADDRESS = "nats://omni:***@127.0.0.1:4999";
    private static final String TOPIC = "orders.created";

    private volatile Connection.Status status = Connection.Status.CONNECTED;
    private final Connection connection = proxy(Connection.class, (method, args) -> switch (method) {
        case "getStatus" -> status;
        default -> throw new UnsupportedOperationException(method);
    });
    /** Every publishAsync attempt, for the test to answer. */
    private final BlockingQueue<CompletableFuture<PublishAck>> attempts = new LinkedBlockingQueue<>();
    private final JetStream jetStream = proxy(JetStream.class, (method, args) -> {
        if (method.equals("publishAsync") && args.length == 1) {
            CompletableFuture<PublishAck> ack = new CompletableFuture<>();
            attempts.add(ack);
            return ack;
        }
        throw new UnsupportedOperationException(method);
    });
    /** What the stream info request does: return, or throw. */
    private volatile StreamAnswer streamInfo = () -> info(TOPIC.substring(0, TOPIC.indexOf('.')));
    private final AtomicInteger streamInfoCalls = new AtomicInteger();
    private final JetStreamManagement jsm = proxy(JetStreamManagement.class, (method, args) -> switch (method) {
        case "getStreamInfo" -> {
            streamInfoCalls.incrementAndGet();
            yield streamInfo.get();
        }
        case "addStream", "updateStream" -> throw new IOException("Timeout or no response waiting for NATS JetStream server");
        default -> throw new UnsupportedOperationException(method);
    });
    private final ConnectionMonitor monitor = new ConnectionMonitor(ADDRESS, List.of());
    private final ScheduledExecutorService timer = NatsBroker.scheduler("test-timer");
    private final AtomicLong resends = new AtomicLong();
    private JetStreamPublisher publisher;

    @AfterEach
    void stop() {
        if (publisher != null) {
            publisher.close();
        }
        timer.shutdownNow();
    }

    private JetStreamPublisher publisher(Duration publishTimeout) {
        NatsSettings settings = NatsSettings.from(dev.omnibus.broker.BrokerOptions.builder()
                .url("nats://127.0.0.1:4999?jetstream=true&stream=test").build());
        publisher = new JetStreamPublisher(jetStream, new StreamManager(jsm, settings), connection, monitor, timer,
                publishTimeout, ADDRESS, "test", resends);
        return publisher;
    }

    private CompletableFuture<Void> publish(Message m) {
        return publish(TOPIC, m);
    }

    private CompletableFuture<Void> publish(String topic, Message m) {
        return publisher.publish(topic, m, NatsWire.toNats(topic, m));
    }

    private CompletableFuture<PublishAck> nextAttempt() throws InterruptedException {
        CompletableFuture<PublishAck> a = attempts.poll(10, TimeUnit.SECONDS);
        assertThat(a).as("an attempt was sent").isNotNull();
        return a;
    }

    @Test
    @DisplayName("a publish completes on the PubAck, and publishAndWait returns then")
    void acked() throws Exception {
        publisher(Duration.ofSeconds(10));
        CompletableFuture<Void> f = publish(Message.of("a"));
        assertThat(f).isNotDone();
        nextAttempt().complete(null);
        assertThat(f).succeedsWithin(Duration.ofSeconds(5));

        Message m = Message.of("b");
        CompletableFuture<Void> sync = CompletableFuture.runAsync(() -> publisher.publishAndWait(TOPIC, m, NatsWire.toNats(TOPIC, m)));
        nextAttempt().complete(null);
        assertThat(sync).succeedsWithin(Duration.ofSeconds(5));
        assertThat(resends).hasValue(0);
    }

    @Test
    @DisplayName("an attempt in flight when the connection is lost is sent again after the reconnect, and the re-send's ack completes it")
    void caughtByConnectionLoss() throws Exception {
        publisher(Duration.ofSeconds(10));
        CompletableFuture<Void> f = publish(Message.of("a"));
        CompletableFuture<PublishAck> first = nextAttempt();
        loseConnection();
        status = Connection.Status.CONNECTED;
        publisher.reconnected();
        CompletableFuture<PublishAck> second = nextAttempt();
        assertThat(first).isCancelled();
        assertThat(f).isNotDone();
        second.complete(null);
        assertThat(f).succeedsWithin(Duration.ofSeconds(5));
        assertThat(resends).hasValue(1);
    }

    @Test
    @DisplayName("an attempt sent after the loss is not sent again by the reconnect")
    void sentAfterLossIsKept() throws Exception {
        publisher(Duration.ofSeconds(10));
        loseConnection();
        status = Connection.Status.CONNECTED;
        CompletableFuture<Void> f = publish(Message.of("a"));
        CompletableFuture<PublishAck> only = nextAttempt();
        publisher.reconnected();
        assertThat(only).isNotCancelled();
        only.complete(null);
        assertThat(f).succeedsWithin(Duration.ofSeconds(5));
        assertThat(attempts).isEmpty();
        assertThat(resends).hasValue(0);
    }

    @Test
    @DisplayName("while the connection is down nothing is sent; the publish goes out once it is back")
    void waitsForTheConnection() throws Exception {
        publisher(Duration.ofSeconds(10));
        status = Connection.Status.RECONNECTING;
        CompletableFuture<Void> f = publish(Message.of("a"));
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(attempts::isEmpty);
        status = Connection.Status.CONNECTED;
        nextAttempt().complete(null);
        assertThat(f).succeedsWithin(Duration.ofSeconds(5));
    }

    @Test
    @DisplayName("'no responders' (503) checks the stream again and sends again until a stream takes the message")
    void noRespondersRetried() throws Exception {
        publisher(Duration.ofSeconds(10));
        CompletableFuture<Void> f = publish(Message.of("a"));
        int checks = streamInfoCalls.get();
        for (int i = 0; i < 3; i++) {
            nextAttempt().completeExceptionally(new RuntimeException(new IOException("Error Publishing: 503 No Responders Available For Request")));
        }
        nextAttempt().complete(null);
        assertThat(f).succeedsWithin(Duration.ofSeconds(5));
        assertThat(streamInfoCalls.get()).as("the stream was checked before each re-send").isEqualTo(checks + 3);
        assertThat(resends).as("a 503 is an answer, not a lost message").hasValue(0);
    }

    @Test
    @DisplayName("a stream that is missing and cannot be created yet is checked again; the message goes out once the stream is there")
    void streamMissingThenCreated() throws Exception {
        publisher(Duration.ofSeconds(10));
        streamInfo = () -> {
            throw notFound();
        };
        CompletableFuture<Void> f = publish(Message.of("a"));
        await().atMost(Duration.ofSeconds(5)).until(() -> streamInfoCalls.get() >= 3 * 2); // info, create fails, info again
        assertThat(attempts).as("nothing is sent before a stream stores the topic").isEmpty();
        assertThat(f).isNotDone();
        streamInfo = () -> info("orders"); // another process created it meanwhile
        nextAttempt().complete(null);
        assertThat(f).succeedsWithin(Duration.ofSeconds(5));
    }

    @Test
    @DisplayName("at publishTimeout the failure names message, topic, address, what it waited for and what to do")
    void timeoutMessages() throws Exception {
        publisher(Duration.ofMillis(300));
        Message unanswered = Message.of("a");
        assertThatThrownBy(() -> publisher.publishAndWait(TOPIC, unanswered, NatsWire.toNats(TOPIC, unanswered)))
                .isInstanceOf(PublishException.class)
                .hasMessageContaining(unanswered.id()).hasMessageContaining("'" + TOPIC + "'").hasMessageContaining(ADDRESS)
                .hasMessageContaining("did not confirm").hasMessageContaining("PT0.3S (publishTimeout)")
                .hasMessageContaining("may or may not be stored").hasMessageContaining("raise publishTimeout");

        status = Connection.Status.RECONNECTING;
        Message noConnection = Message.of("b");
        long start = System.nanoTime();
        assertThatThrownBy(() -> publish(noConnection).join()).cause().isInstanceOf(PublishException.class)
                .hasMessageContaining(noConnection.id()).hasMessageContaining(ADDRESS)
                .hasMessageContaining("is down and did not recover within PT0.3S").hasMessageContaining("status RECONNECTING")
                .hasMessageContaining("it was not stored");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));

        status = Connection.Status.CONNECTED;
        streamInfo = () -> {
            throw new IOException("Timeout or no response waiting for NATS JetStream server");
        };
        Message noStream = Message.of("c");
        assertThatThrownBy(() -> publish("invoices.paid", noStream).join()).cause().isInstanceOf(PublishException.class)
                .hasMessageContaining(noStream.id()).hasMessageContaining(ADDRESS)
                .hasMessageContaining("stream 'test' did not take it").hasMessageContaining("nats-server -js");
    }

    @Test
    @DisplayName("an error that asking again will not mend fails at once")
    void otherErrorsFailAtOnce() throws Exception {
        publisher(Duration.ofSeconds(30));
        Message m = Message.of("a");
        CompletableFuture<Void> f = publish(m);
        nextAttempt().completeExceptionally(new RuntimeException(new IOException("Error Publishing: 400 Bad Request")));
        assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).cause().isInstanceOf(PublishException.class)
                .hasMessageContaining(m.id()).hasMessageContaining("400 Bad Request").hasMessageContaining("publish it again");

        status = Connection.Status.CLOSED;
        assertThatThrownBy(() -> publish(Message.of("b")).get(5, TimeUnit.SECONDS)).cause().isInstanceOf(PublishException.class)
                .hasMessageContaining("reconnect attempts exhausted");
        assertThat(attempts).isEmpty();
    }

    @Test
    @DisplayName("closing lets acks in flight arrive, fails what is still waiting, and retries nothing")
    void close() throws Exception {
        publisher(Duration.ofSeconds(30));
        CompletableFuture<Void> acked = publish(Message.of("a"));
        CompletableFuture<PublishAck> ackedAttempt = nextAttempt();
        CompletableFuture<Void> unanswered = publish(Message.of("b"));
        nextAttempt();
        CompletableFuture<Void> cancelled = publish(Message.of("c"));
        CompletableFuture<PublishAck> cancelledAttempt = nextAttempt();

        publisher.beginClose();
        cancelledAttempt.cancel(true); // what jnats does to requests when the connection closes
        assertThat(cancelled).failsWithin(Duration.ofSeconds(5)).withThrowableThat().havingCause()
                .isInstanceOf(PublishException.class).withMessageContaining("broker disconnected before");
        CompletableFuture.runAsync(() -> ackedAttempt.complete(null));
        long start = System.nanoTime();
        publisher.awaitInFlight(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500));
        assertThat(acked).isCompleted();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        publisher.close();
        assertThat(unanswered).failsWithin(Duration.ofSeconds(1)).withThrowableThat().havingCause()
                .isInstanceOf(PublishException.class).withMessageContaining("broker disconnected before JetStream at " + ADDRESS)
                .withMessageContaining("may or may not be stored");
        assertThat(attempts).as("nothing sent again").isEmpty();
        assertThat(publish(Message.of("d"))).failsWithin(Duration.ofSeconds(1));
    }

    private void loseConnection() {
        status = Connection.Status.RECONNECTING;
        monitor.connectionEvent(connection, ConnectionListener.Events.DISCONNECTED, null, null);
    }

    private static StreamInfo info(String token) throws Exception {
        return new StreamInfo(JsonParser.parse("{\"config\":{\"name\":\"test\",\"subjects\":[\"" + token + "\",\"" + token
                + ".>\"],\"retention\":\"limits\",\"storage\":\"file\"},\"created\":\"2026-01-01T00:00:00Z\",\"state\":{}}"));
    }

    private static JetStreamApiException notFound() throws Exception {
        return new JetStreamApiException(new ApiResponse<Void>(JsonParser.parse(
                "{\"error\":{\"code\":404,\"err_code\":10059,\"description\":\"stream not found\"}}")) { });
    }

    @FunctionalInterface
    private interface StreamAnswer {
        StreamInfo get() throws Exception;
    }

    @FunctionalInterface
    private interface Answer {
        Object answer(String method, Object[] args) throws Exception;
    }

    private static <T> T proxy(Class<T> type, Answer answer) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (self, method, args) -> {
            switch (method.getName()) {
                case "toString":
                    return "stand-in " + type.getSimpleName();
                case "hashCode":
                    return System.identityHashCode(self);
                case "equals":
                    return self == args[0];
                default:
                    return answer.answer(method.getName(), args == null ? new Object[0] : args);
            }
        }));
    }
}
