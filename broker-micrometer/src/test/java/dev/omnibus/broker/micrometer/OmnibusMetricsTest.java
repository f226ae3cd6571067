package dev.omnibus.broker.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Event;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.MessageTooLargeException;
import dev.omnibus.broker.SubscribeOptions;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The metrics on the real in-memory broker, read back from a {@link SimpleMeterRegistry}. */
@DisplayName("OmnibusMetrics on the memory broker")
class OmnibusMetricsTest {
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final OmnibusMetrics metrics = OmnibusMetrics.create(registry);
    private final List<Broker> brokers = new CopyOnWriteArrayList<>();

    private Broker broker(String url) {
        Broker b = Brokers.create(metrics.instrument(BrokerOptions.builder().url(url)).build());
        b.connect();
        brokers.add(b);
        return b;
    }

    @AfterEach
    void disconnect() {
        brokers.forEach(Broker::disconnect);
    }

    private double count(String name, String... tags) {
        return registry.find(name).tags(tags).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    private long timerCount(String name, String... tags) {
        return registry.find(name).tags(tags).timers().stream().mapToLong(t -> t.count()).sum();
    }

    @Test
    @DisplayName("publish and successful handling count published, delivered and acked, and time both sides")
    void happyPath() {
        Broker b = broker("memory:");
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        b.subscribe("orders.*", e -> got.add(e.message().bodyAsString()));
        for (int i = 0; i < 5; i++) {
            b.publish("orders.created", Message.of("c" + i));
        }
        b.publishAsync("orders.shipped", Message.of("s")).join();
        await().atMost(Duration.ofSeconds(5)).until(() -> got.size() == 6);
        await().atMost(Duration.ofSeconds(5)).until(() -> count(OmnibusMetrics.ACKED) == 6);

        assertThat(count(OmnibusMetrics.PUBLISHED, "backend", "memory", "topic", "orders.>", "outcome", "success")).isEqualTo(6);
        assertThat(timerCount(OmnibusMetrics.PUBLISH_DURATION, "topic", "orders.>", "outcome", "success")).isEqualTo(6);
        String[] sub = {"backend", "memory", "topic", "orders.*", "queue", "none"};
        assertThat(count(OmnibusMetrics.DELIVERED, sub)).isEqualTo(6);
        assertThat(count(OmnibusMetrics.ACKED, sub)).isEqualTo(6);
        assertThat(count(OmnibusMetrics.NACKED)).isZero();
        assertThat(count(OmnibusMetrics.REDELIVERED)).isZero();
        assertThat(count(OmnibusMetrics.DEAD_LETTERED)).isZero();
        assertThat(timerCount(OmnibusMetrics.HANDLER_DURATION, "topic", "orders.*", "outcome", "success")).isEqualTo(6);
    }

    @Test
    @DisplayName("no meter is ever tagged with a raw topic")
    void boundedTopicTags() {
        Broker b = broker("memory:");
        BlockingQueue<Event> got = new LinkedBlockingQueue<>();
        b.subscribe("orders.>", got::add);
        for (int i = 0; i < 20; i++) {
            b.publish("orders.created." + i, Message.of("x"));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> count(OmnibusMetrics.ACKED) == 20);
        List<String> topicTags = registry.getMeters().stream().map(Meter::getId)
                .map(id -> id.getTag("topic")).distinct().sorted().toList();
        assertThat(topicTags).containsExactly("orders.>");
    }

    @Test
    @DisplayName("a failing handler counts nacks, redeliveries and one dead letter after maxDeliveries")
    void failuresAndDeadLetters() {
        Broker b = broker("memory:");
        BlockingQueue<Event> dead = new LinkedBlockingQueue<>();
        b.subscribe("dead.orders", dead::add);
        b.subscribe("orders.*", e -> {
            throw new IllegalStateException("cannot handle " + e.message().id());
        }, SubscribeOptions.builder().queue("billing").maxDeliveries(3).redeliveryDelay(Duration.ofMillis(10))
                .deadLetterTopic("dead.orders").build());
        b.publish("orders.created", Message.of("poison"));
        await().atMost(Duration.ofSeconds(5)).until(() -> dead.size() == 1);

        String[] sub = {"topic", "orders.*", "queue", "billing"};
        await().atMost(Duration.ofSeconds(5)).until(() -> count(OmnibusMetrics.NACKED, sub) == 3);
        assertThat(count(OmnibusMetrics.DELIVERED, sub)).isEqualTo(3);
        assertThat(count(OmnibusMetrics.REDELIVERED, sub)).isEqualTo(2);
        assertThat(count(OmnibusMetrics.NACKED, "topic", "orders.*", "reason", "exception")).isEqualTo(3);
        assertThat(count(OmnibusMetrics.ACKED, sub)).isZero();
        assertThat(count(OmnibusMetrics.DEAD_LETTERED, "topic", "orders.*", "destination", "topic")).isEqualTo(1);
        assertThat(count(OmnibusMetrics.DEAD_LETTERED, "destination", "dropped")).isZero();
        assertThat(timerCount(OmnibusMetrics.HANDLER_DURATION, "topic", "orders.*", "outcome", "failure")).isEqualTo(3);
        // the dead letter itself is a delivery on its own subscription
        assertThat(count(OmnibusMetrics.ACKED, "topic", "dead.orders")).isEqualTo(1);
    }

    @Test
    @DisplayName("without a dead-letter topic the last nack counts as dropped")
    void dropped() {
        Broker b = broker("memory:");
        b.subscribe("jobs.run", Event::nack, SubscribeOptions.builder().maxDeliveries(2).redeliveryDelay(Duration.ZERO).build());
        b.publish("jobs.run", Message.of("x"));
        await().atMost(Duration.ofSeconds(5)).until(() -> count(OmnibusMetrics.DEAD_LETTERED, "destination", "dropped") == 1);
        assertThat(count(OmnibusMetrics.NACKED, "topic", "jobs.run", "reason", "nack")).isEqualTo(2);
        assertThat(count(OmnibusMetrics.NACKED, "reason", "exception")).isZero();
    }

    @Test
    @DisplayName("with auto-ack off, an ack made later on another thread is counted when it happens")
    void manualAckLater() throws Exception {
        Broker b = broker("memory:");
        BlockingQueue<Event> held = new LinkedBlockingQueue<>();
        b.subscribe("tasks.*", held::add, SubscribeOptions.builder().autoAck(false).build());
        b.publish("tasks.a", Message.of("1"));
        b.publish("tasks.b", Message.of("2"));
        Event first = held.poll(5, TimeUnit.SECONDS);
        Event second = held.poll(5, TimeUnit.SECONDS);
        assertThat(first).isNotNull();
        assertThat(second).isNotNull();
        await().atMost(Duration.ofSeconds(5)).until(() -> timerCount(OmnibusMetrics.HANDLER_DURATION) == 2);
        assertThat(count(OmnibusMetrics.ACKED) + count(OmnibusMetrics.NACKED)).as("nothing settled yet").isZero();
        CompletableFuture.runAsync(first::ack).join();
        first.ack();
        first.nack();
        assertThat(count(OmnibusMetrics.ACKED, "topic", "tasks.*")).as("first settlement only").isEqualTo(1);
        assertThat(count(OmnibusMetrics.NACKED)).isZero();
        second.ack();
        assertThat(count(OmnibusMetrics.ACKED, "topic", "tasks.*")).isEqualTo(2);
    }

    @Test
    @DisplayName("a publish the broker refuses counts as a failure, for publish and publishAsync")
    void publishFailure() {
        Broker b = broker("memory:?maxMessageBytes=5000");
        assertThatThrownBy(() -> b.publish("files.upload", Message.of(new byte[6000]))).isInstanceOf(MessageTooLargeException.class);
        assertThat(b.publishAsync("files.upload", Message.of(new byte[6000]))).isCompletedExceptionally();
        assertThat(count(OmnibusMetrics.PUBLISHED, "topic", "files.>", "outcome", "failure")).isEqualTo(2);
        assertThat(count(OmnibusMetrics.PUBLISHED, "outcome", "success")).isZero();
        assertThat(timerCount(OmnibusMetrics.PUBLISH_DURATION, "outcome", "failure")).isEqualTo(2);
    }

    @Test
    @DisplayName("the topic tag function and common tags are configurable; per-subscription registration works too")
    void configurable() {
        OmnibusMetrics custom = OmnibusMetrics.builder(registry).publishTopicTag(t -> t.startsWith("tenant.") ? "tenant.*.events" : "other")
                .tag("application", "shop").build();
        Broker b = Brokers.create(BrokerOptions.builder().url("memory:").publishInterceptor(custom.publishInterceptor()).build());
        b.connect();
        brokers.add(b);
        b.subscribe("tenant.*.events", e -> { }, SubscribeOptions.builder().interceptor(custom.handlerInterceptor()).build());
        b.publish("tenant.acme.events", Message.of("x"));
        b.publish("tenant.globex.events", Message.of("y"));
        await().atMost(Duration.ofSeconds(5)).until(() -> count(OmnibusMetrics.ACKED, "application", "shop") == 2);
        assertThat(count(OmnibusMetrics.PUBLISHED, "application", "shop", "topic", "tenant.*.events")).isEqualTo(2);
        assertThat(registry.getMeters()).allSatisfy(m -> assertThat(m.getId().getTags()).contains(Tag.of("application", "shop")));
    }

    @Test
    @DisplayName("firstTokenPattern keeps the first token only")
    void firstToken() {
        assertThat(OmnibusMetrics.firstTokenPattern("orders")).isEqualTo("orders");
        assertThat(OmnibusMetrics.firstTokenPattern("orders.created")).isEqualTo("orders.>");
        assertThat(OmnibusMetrics.firstTokenPattern("orders.created.eu.42")).isEqualTo("orders.>");
    }

    @Test
    @DisplayName("metrics on two nodes of one shared bus share meters by backend and pattern")
    void sharedBus() {
        Broker a = broker("memory://metrics-shared");
        Broker c = broker("memory://metrics-shared");
        BlockingQueue<Event> got = new LinkedBlockingQueue<>();
        c.subscribe("prices.*", got::add, SubscribeOptions.builder().queue("pricing").build());
        a.subscribe("prices.*", got::add, SubscribeOptions.builder().queue("pricing").build());
        for (int i = 0; i < 10; i++) {
            a.publish("prices.quote", Message.of("x" + i));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> count(OmnibusMetrics.ACKED, "queue", "pricing") == 10);
        assertThat(got).hasSize(10);
        assertThat(registry.find(OmnibusMetrics.DELIVERED).counters()).hasSize(1);
    }

    @Test
    @DisplayName("a Flow subscriber whose demand stays at zero while messages wait counts omnibus.slow.consumer; the publisher is not held back")
    void slowConsumer() {
        Broker b = broker("memory:");
        dev.omnibus.broker.EventPublisher pub = dev.omnibus.broker.Subscriptions.publisher(b, "slow.orders",
                SubscribeOptions.builder().queue("billing").build(),
                dev.omnibus.broker.FlowOptions.builder().slowConsumerAfter(java.time.Duration.ofMillis(100)).build());
        pub.subscribe(new java.util.concurrent.Flow.Subscriber<dev.omnibus.broker.Event>() {
            @Override
            public void onSubscribe(java.util.concurrent.Flow.Subscription s) {
            }

            @Override
            public void onNext(dev.omnibus.broker.Event e) {
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onComplete() {
            }
        });
        for (int i = 0; i < 5; i++) {
            b.publish("slow.orders", Message.of("o" + i));
        }
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
                count(OmnibusMetrics.SLOW_CONSUMER, "backend", "memory", "topic", "slow.orders", "queue", "billing") >= 1);
        pub.unsubscribe();
    }
}
