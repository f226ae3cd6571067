package dev.omnibus.broker.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.MessageTooLargeException;
import dev.omnibus.broker.RequestException;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.UnsupportedCapabilityException;
import dev.omnibus.broker.tck.LogCapture;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("Memory broker")
class MemoryBrokerBehaviourTest extends MemoryTestSupport {
    private static final Duration QUIET = Duration.ofMillis(300);

    @Nested
    @DisplayName("capabilities")
    class Capabilities {

        @Test
        @DisplayName("are exactly QUEUE_GROUPS, WILDCARDS, ACKNOWLEDGEMENT, DEAD_LETTER, REQUEST_REPLY and ORDERED_DELIVERY")
        void exactSet() {
            Broker b = Brokers.create("memory:");
            assertThat(b.capabilities()).isEqualTo(EnumSet.of(Capability.QUEUE_GROUPS, Capability.WILDCARDS,
                    Capability.ACKNOWLEDGEMENT, Capability.DEAD_LETTER, Capability.REQUEST_REPLY, Capability.ORDERED_DELIVERY));
            assertThatThrownBy(() -> b.capabilities().add(Capability.CROSS_PROCESS))
                    .isInstanceOf(UnsupportedOperationException.class);
        }

        @Test
        @DisplayName("asking for a durable subscription fails at the call naming DURABLE_SUBSCRIPTIONS, and subscribes nothing")
        void durableRejected() {
            Broker b = connected("memory:");
            List<String> got = new CopyOnWriteArrayList<>();
            assertThatThrownBy(() -> b.subscribe("orders", e -> got.add("x"),
                    SubscribeOptions.builder().queue("billing").durable(true).build()))
                    .isInstanceOf(UnsupportedCapabilityException.class)
                    .hasMessageContaining("DURABLE_SUBSCRIPTIONS")
                    .hasMessageContaining("'memory' broker")
                    .satisfies(e -> assertThat(((UnsupportedCapabilityException) e).capability())
                            .isEqualTo(Capability.DURABLE_SUBSCRIPTIONS));
            b.publish("orders", Message.of("m"));
            await().during(QUIET).atMost(Duration.ofSeconds(3)).until(got::isEmpty);
        }

        @Test
        @DisplayName("the durable check happens before the connection check")
        void durableRejectedWhileDisconnected() {
            Broker b = Brokers.create("memory:");
            assertThatThrownBy(() -> b.subscribe("orders", e -> { }, SubscribeOptions.builder().queue("q").durable(true).build()))
                    .isInstanceOf(UnsupportedCapabilityException.class);
        }
    }

    @Nested
    @DisplayName("maxMessageBytes")
    class MaxMessageBytes {

        @Test
        @DisplayName("a message over the limit fails with MessageTooLargeException naming both sizes; the broker keeps working")
        void overLimit() {
            Broker b = connected("memory:?maxMessageBytes=1000");
            List<String> got = new CopyOnWriteArrayList<>();
            b.subscribe("big", e -> got.add(e.message().size() + ""));

            assertThatThrownBy(() -> b.publish("big", Message.of(new byte[2000])))
                    .isInstanceOfSatisfying(MessageTooLargeException.class, e -> {
                        assertThat(e.size()).isGreaterThanOrEqualTo(2000);
                        assertThat(e.limit()).isEqualTo(1000);
                        assertThat(e.getMessage()).contains(e.size() + " bytes").contains("limit of 1000 bytes").contains("'big'");
                    });
            assertThatThrownBy(() -> b.request("big", Message.of(new byte[2000]), Duration.ofSeconds(1)))
                    .isInstanceOf(MessageTooLargeException.class);

            b.publish("big", Message.of(new byte[900]));
            await().atMost(Duration.ofSeconds(5)).until(() -> got.contains("900"));
            await().during(QUIET).atMost(Duration.ofSeconds(3)).until(() -> got.size() == 1);
        }

        @Test
        @DisplayName("headers count towards the limit")
        void headersCount() {
            Broker b = connected("memory:?maxMessageBytes=1000");
            Message withBigHeader = Message.builder().header("x-blob", "h".repeat(200)).body(new byte[900]).build();
            assertThatThrownBy(() -> b.publish("t", withBigHeader)).isInstanceOf(MessageTooLargeException.class);
            b.publish("t", Message.of(new byte[900]));
        }
    }

    @Nested
    @DisplayName("request/reply")
    class RequestReply {

        @Test
        @DisplayName("a request with no subscriber fails fast with noResponders() true")
        void noResponders() {
            Broker b = connected("memory:");
            CompletableFuture<Message> f = b.request("nobody.home", Message.of("q"), Duration.ofSeconds(30));
            assertThat(f).isCompletedExceptionally();
            assertThatThrownBy(f::join).cause()
                    .isInstanceOfSatisfying(RequestException.class, e -> assertThat(e.noResponders()).isTrue())
                    .hasMessageContaining("'nobody.home'");
        }

        @Test
        @DisplayName("a reply arrives with the request's correlation id")
        void replies() throws Exception {
            Broker b = connected("memory:");
            b.subscribe("prices.*", e -> e.reply(Message.of(e.message().bodyAsString().toUpperCase())));
            Message reply = b.request("prices.quote", Message.of("sku-1"), Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS);
            assertThat(reply.bodyAsString()).isEqualTo("SKU-1");
            assertThat(reply.header(Headers.CORRELATION_ID)).isNotBlank();
        }

        @Test
        @DisplayName("a reply after the request timed out is dropped without error, and later requests still work")
        void lateReplyDropped() throws Exception {
            Broker b = connected("memory:");
            CountDownLatch release = gate();
            CountDownLatch replied = new CountDownLatch(1);
            AtomicReference<Throwable> replyError = new AtomicReference<>();
            List<String> seen = new CopyOnWriteArrayList<>();
            b.subscribe("slow.service", e -> {
                String body = e.message().bodyAsString();
                seen.add(body);
                if (body.equals("first")) {
                    waitFor(release);
                }
                try {
                    e.reply(Message.of("answer-" + body));
                } catch (Throwable t) {
                    replyError.set(t);
                }
                if (body.equals("first")) {
                    replied.countDown();
                }
            });
            try (LogCapture log = LogCapture.start()) {
                CompletableFuture<Message> f = b.request("slow.service", Message.of("first"), Duration.ofMillis(200));
                assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class).cause()
                        .isInstanceOfSatisfying(RequestException.class, e -> assertThat(e.noResponders()).isFalse())
                        .hasMessageContaining("no reply");
                release.countDown();
                assertThat(replied.await(5, TimeUnit.SECONDS)).isTrue();
                assertThat(replyError.get()).isNull();

                Message second = b.request("slow.service", Message.of("second"), Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS);
                assertThat(second.bodyAsString()).isEqualTo("answer-second");
                assertThat(log.text()).doesNotContain("Handler failed").doesNotContain("slow.service");
            }
        }

        @Test
        @DisplayName("pending requests fail when the requesting broker disconnects")
        void pendingFailOnDisconnect() {
            String url = uniqueBus("req");
            Broker requester = connected(url);
            Broker silent = connected(url);
            silent.subscribe("quiet", e -> { });
            CompletableFuture<Message> f = requester.request("quiet", Message.of("q"), Duration.ofSeconds(30));
            requester.disconnect();
            await().atMost(Duration.ofSeconds(5)).until(f::isDone);
            assertThat(f).isCompletedExceptionally();
        }
    }

    @Nested
    @DisplayName("redelivery and dead letters")
    class Redelivery {

        @Test
        @DisplayName("maxDeliveries(1) without a dead-letter topic drops the failed message with an error log and does not loop")
        void dropAfterOneAttempt() {
            Broker b = connected("memory:");
            List<Integer> attempts = new CopyOnWriteArrayList<>();
            List<String> bodies = new CopyOnWriteArrayList<>();
            b.subscribe("jobs.x", e -> {
                attempts.add(e.deliveryAttempt());
                bodies.add(e.message().bodyAsString());
                if (e.message().bodyAsString().equals("poison")) {
                    throw new IllegalStateException("cannot handle poison");
                }
            }, SubscribeOptions.builder().maxDeliveries(1).redeliveryDelay(Duration.ZERO).build());
            try (LogCapture log = LogCapture.start()) {
                Message poison = Message.of("poison");
                b.publish("jobs.x", poison);
                await().atMost(Duration.ofSeconds(5)).until(() -> log.text().contains("Dropping message " + poison.id()));
                assertThat(log.text()).contains("from topic 'jobs.x' after 1 failed attempts (no deadLetterTopic set)")
                        .contains("cannot handle poison").contains("ERROR");
                await().during(QUIET).atMost(Duration.ofSeconds(3)).until(() -> attempts.size() == 1);
                assertThat(log.count("Dropping message " + poison.id())).isEqualTo(1);
            }
            b.publish("jobs.x", Message.of("fine"));
            await().atMost(Duration.ofSeconds(5)).until(() -> bodies.contains("fine"));
            assertThat(attempts).containsExactly(1, 1);
        }

        @Test
        @DisplayName("a nacked message is redelivered after the delay up to maxDeliveries, then dropped")
        void redeliveredUpToMax() {
            Broker b = connected("memory:");
            List<Integer> attempts = new CopyOnWriteArrayList<>();
            List<Long> times = new CopyOnWriteArrayList<>();
            b.subscribe("jobs.y", e -> {
                attempts.add(e.deliveryAttempt());
                times.add(System.nanoTime());
                e.nack();
            }, SubscribeOptions.builder().maxDeliveries(3).redeliveryDelay(Duration.ofMillis(100)).build());
            try (LogCapture log = LogCapture.start()) {
                b.publish("jobs.y", Message.of("retry-me"));
                await().atMost(Duration.ofSeconds(5)).until(() -> log.text().contains("after 3 failed attempts"));
                assertThat(log.text()).contains("nacked by handler");
            }
            await().during(QUIET).atMost(Duration.ofSeconds(3)).until(() -> attempts.size() == 3);
            assertThat(attempts).containsExactly(1, 2, 3);
            for (int i = 1; i < times.size(); i++) {
                assertThat(TimeUnit.NANOSECONDS.toMillis(times.get(i) - times.get(i - 1)))
                        .as("redelivery %s waited for the delay", i).isGreaterThanOrEqualTo(90);
            }
        }

        @Test
        @DisplayName("with a dead-letter topic the failed message goes there with the failure in headers")
        void deadLetterTopic() {
            Broker b = connected("memory:");
            List<Message> dead = new CopyOnWriteArrayList<>();
            b.subscribe("dlq.jobs", e -> dead.add(e.message()));
            b.subscribe("jobs.z", e -> {
                throw new IllegalArgumentException("bad input");
            }, SubscribeOptions.builder().maxDeliveries(2).redeliveryDelay(Duration.ZERO).deadLetterTopic("dlq.jobs").build());
            Message m = Message.builder().header("k", "v").body("payload").build();
            try (LogCapture ignored = LogCapture.start()) {
                b.publish("jobs.z", m);
                await().atMost(Duration.ofSeconds(5)).until(() -> dead.size() == 1);
            }
            Message d = dead.get(0);
            assertThat(d.id()).isEqualTo(m.id());
            assertThat(d.bodyAsString()).isEqualTo("payload");
            assertThat(d.header("k")).isEqualTo("v");
            assertThat(d.header(Headers.DEAD_LETTER_TOPIC)).isEqualTo("jobs.z");
            assertThat(d.header(Headers.DEAD_LETTER_ATTEMPTS)).isEqualTo("2");
            assertThat(d.header(Headers.DEAD_LETTER_REASON)).contains("IllegalArgumentException").contains("bad input");
            await().during(QUIET).atMost(Duration.ofSeconds(3)).until(() -> dead.size() == 1);
        }
    }

    @Nested
    @DisplayName("invalid configuration")
    class InvalidConfiguration {

        @ParameterizedTest(name = "[{index}] {0}")
        @CsvSource(delimiter = '|', value = {
                "memory:foo               | must be memory: (private bus) or memory://name (shared bus)",
                "memory:/foo              | must be memory: (private bus) or memory://name (shared bus)",
                "memory://bad name        | memory bus name 'bad name'",
                "memory://                | memory bus name ''",
                "memory://a/b             | memory bus name 'a/b'",
                "memory://a,memory://b    | takes one URL",
        })
        @DisplayName("an invalid memory URL is an IllegalArgumentException with a helpful message")
        void badUrls(String url, String expected) {
            assertThatThrownBy(() -> Brokers.create(url))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(expected);
        }

        @Test
        @DisplayName("a bus name of letters, digits, '-', '_' and '.' (with an optional trailing slash) is accepted")
        void goodBusNames() {
            Broker a = connected("memory://Bus_1.a-b/");
            Broker b = connected("memory://Bus_1.a-b");
            List<String> got = new CopyOnWriteArrayList<>();
            b.subscribe("t", e -> got.add("ok"));
            a.publish("t", Message.of("x"));
            await().atMost(Duration.ofSeconds(5)).until(() -> got.size() == 1);
        }

        @ParameterizedTest(name = "[{index}] {0}")
        @CsvSource(delimiter = '|', value = {
                "memory:?overflow=sideways       | overflow | sideways",
                "memory:?bufferSize=0            | bufferSize | 0",
                "memory:?bufferSize=-5           | bufferSize | -5",
                "memory:?bufferSize=lots         | bufferSize | lots",
                "memory:?blockTimeout=soon       | blockTimeout | soon",
                "memory:?maxMessageBytes=0       | maxMessageBytes | 0",
        })
        @DisplayName("a bad property value is an IllegalArgumentException naming the property and the value")
        void badProperties(String url, String property, String value) {
            assertThatThrownBy(() -> Brokers.create(url))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(property).hasMessageContaining(value);
            assertThatThrownBy(() -> Brokers.create(BrokerOptions.builder().url("memory:")
                    .property(property, value).build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(property);
        }

        @Test
        @DisplayName("init with bad options is rejected and keeps the old options")
        void initRejectsBadOptions() {
            Broker b = Brokers.create("memory:");
            BrokerOptions before = b.options();
            assertThatThrownBy(() -> b.init(BrokerOptions.of("memory:?overflow=sideways")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overflow");
            assertThatThrownBy(() -> b.init(BrokerOptions.of("nats://h:4222")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("memory: URLs");
            assertThat(b.options()).isSameAs(before);
        }

        @Test
        @DisplayName("a rejected init leaves the effective settings unchanged")
        void rejectedInitHasNoEffect() {
            Broker b = Brokers.create("memory:");
            assertThatThrownBy(() -> b.init(BrokerOptions.of("memory:?maxMessageBytes=10&overflow=sideways")))
                    .isInstanceOf(IllegalArgumentException.class);
            b.connect();
            try {
                b.publish("t", Message.of(new byte[100]));
            } finally {
                b.disconnect();
            }
        }
    }
}
