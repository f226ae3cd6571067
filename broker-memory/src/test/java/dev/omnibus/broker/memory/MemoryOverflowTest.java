package dev.omnibus.broker.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.BufferFullException;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.OverflowPolicy;
import dev.omnibus.broker.PublishException;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.tck.LogCapture;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each scenario: a concurrency-1 subscription with a buffer of 2 whose handler is stuck in m0; m1
 * and m2 fill the buffer; m3 overflows.
 */
@DisplayName("Memory broker overflow policies")
class MemoryOverflowTest extends MemoryTestSupport {
    private static final Duration QUIET = Duration.ofMillis(300);

    private final List<String> received = new CopyOnWriteArrayList<>();
    private CountDownLatch started;
    private CountDownLatch release;

    private void fillBuffer(Broker broker, String topic, SubscribeOptions options) throws InterruptedException {
        started = new CountDownLatch(1);
        release = gate();
        broker.subscribe(topic, e -> {
            String body = e.message().bodyAsString();
            received.add(body);
            if (body.equals("m0")) {
                started.countDown();
                waitFor(release);
            }
        }, options);
        broker.publish(topic, Message.of("m0"));
        assertThat(started.await(5, TimeUnit.SECONDS)).as("handler started on m0").isTrue();
        broker.publish(topic, Message.of("m1"));
        broker.publish(topic, Message.of("m2"));
    }

    static Stream<Arguments> dropping() {
        return Stream.of(
                Arguments.of("URL drop_newest", "memory:?overflow=drop_newest&bufferSize=2", SubscribeOptions.defaults(),
                        List.of("m0", "m1", "m2")),
                Arguments.of("URL DROP-OLDEST", "memory:?overflow=DROP-OLDEST&bufferSize=2", SubscribeOptions.defaults(),
                        List.of("m0", "m2", "m3")),
                Arguments.of("options DROP_NEWEST", "memory:",
                        SubscribeOptions.builder().bufferSize(2).overflow(OverflowPolicy.DROP_NEWEST).build(), List.of("m0", "m1", "m2")),
                Arguments.of("options DROP_OLDEST", "memory:",
                        SubscribeOptions.builder().bufferSize(2).overflow(OverflowPolicy.DROP_OLDEST).build(), List.of("m0", "m2", "m3")),
                Arguments.of("URL bufferSize, options policy", "memory:?bufferSize=2",
                        SubscribeOptions.builder().overflow(OverflowPolicy.DROP_OLDEST).build(), List.of("m0", "m2", "m3")),
                Arguments.of("options bufferSize wins over URL", "memory:?overflow=drop_newest&bufferSize=50",
                        SubscribeOptions.builder().bufferSize(2).build(), List.of("m0", "m1", "m2")));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("dropping")
    @DisplayName("a dropping policy lets publish return and delivers exactly the expected messages")
    void droppingPolicies(String label, String url, SubscribeOptions options, List<String> expected) throws Exception {
        Broker broker = connected(url);
        fillBuffer(broker, "jobs", options);
        broker.publish("jobs", Message.of("m3")); // overflow: dropped, publish returns normally
        release.countDown();
        await().atMost(Duration.ofSeconds(5)).until(() -> received.size() >= 3);
        await().during(QUIET).atMost(Duration.ofSeconds(3)).until(() -> received.size() == 3);
        assertThat(received).containsExactlyElementsOf(expected);
    }

    static Stream<Arguments> failing() {
        return Stream.of(
                Arguments.of("URL fail", BrokerOptions.of("memory:?overflow=fail&bufferSize=2"), SubscribeOptions.defaults()),
                Arguments.of("property fail", BrokerOptions.builder().url("memory:").property("overflow", "fail")
                        .property("bufferSize", "2").build(), SubscribeOptions.defaults()),
                Arguments.of("options FAIL", BrokerOptions.of("memory:"),
                        SubscribeOptions.builder().bufferSize(2).overflow(OverflowPolicy.FAIL).build()));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("failing")
    @DisplayName("FAIL makes publish throw BufferFullException at once, and the buffered messages still arrive")
    void failPolicy(String label, BrokerOptions brokerOptions, SubscribeOptions options) throws Exception {
        Broker broker = connected(brokerOptions);
        fillBuffer(broker, "jobs", options);
        long start = System.nanoTime();
        assertThatThrownBy(() -> broker.publish("jobs", Message.of("m3")))
                .isInstanceOf(BufferFullException.class).isInstanceOf(PublishException.class)
                .hasMessageContaining("'jobs'").hasMessageContaining("is full");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1000);
        release.countDown();
        await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 3);
        await().during(QUIET).atMost(Duration.ofSeconds(3)).until(() -> received.size() == 3);
        assertThat(received).containsExactly("m0", "m1", "m2");
    }

    static Stream<Arguments> blocking() {
        return Stream.of(
                Arguments.of("URL block, blockTimeout in ms", "memory:?overflow=block&bufferSize=2&blockTimeout=300",
                        SubscribeOptions.defaults()),
                Arguments.of("URL ISO blockTimeout, default policy", "memory:?bufferSize=2&blockTimeout=PT0.3S",
                        SubscribeOptions.defaults()),
                Arguments.of("options BLOCK", "memory:",
                        SubscribeOptions.builder().bufferSize(2).blockTimeout(Duration.ofMillis(300)).build()));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("blocking")
    @DisplayName("BLOCK with a short block timeout makes publish wait that long, then throw BufferFullException")
    void blockPolicy(String label, String url, SubscribeOptions options) throws Exception {
        Broker broker = connected(url);
        fillBuffer(broker, "jobs", options);
        long start = System.nanoTime();
        assertThatThrownBy(() -> broker.publish("jobs", Message.of("m3")))
                .isInstanceOf(BufferFullException.class).hasMessageContaining("stayed full for PT0.3S");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(250L, 5000L);
        release.countDown();
        await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 3);
        assertThat(received).containsExactly("m0", "m1", "m2");
    }

    @Test
    @DisplayName("BLOCK lets publish through as soon as the handler makes room")
    void blockThenRoom() throws Exception {
        Broker broker = connected("memory:?bufferSize=2&blockTimeout=PT10S");
        fillBuffer(broker, "jobs", SubscribeOptions.defaults());
        var publishing = java.util.concurrent.CompletableFuture.runAsync(() -> broker.publish("jobs", Message.of("m3")));
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(3)).until(() -> !publishing.isDone());
        release.countDown();
        publishing.get(5, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 4);
        assertThat(received).containsExactly("m0", "m1", "m2", "m3");
    }

    @Test
    @DisplayName("a full buffer logs a slow-consumer warning naming the subscription")
    void slowConsumerWarning() throws Exception {
        try (LogCapture log = LogCapture.start()) {
            Broker broker = connected("memory:?overflow=drop_newest&bufferSize=2");
            fillBuffer(broker, "slow.orders", SubscribeOptions.builder().queue("billing").build());
            broker.publish("slow.orders", Message.of("m3"));
            await().atMost(Duration.ofSeconds(5)).until(() -> log.text()
                    .contains("Slow consumer: buffer of subscription 'slow.orders@billing' is full (2 messages, policy DROP_NEWEST)"));
        }
    }
}
