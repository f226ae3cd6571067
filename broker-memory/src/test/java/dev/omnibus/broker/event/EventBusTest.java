package dev.omnibus.broker.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Subscription;
import dev.omnibus.broker.event.ResourceEvent.Created;
import dev.omnibus.broker.event.ResourceEvent.Deleted;
import dev.omnibus.broker.event.ResourceEvent.Updated;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class EventBusTest {
    @EventType("order-placed")
    record OrderPlaced(long id, Instant at, List<String> skus) {
    }

    record Workload(String name, int replicas) {
    }

    @ResourceKind("deployment")
    record Deployment(String name) {
    }

    static final AtomicInteger DECODES = new AtomicInteger();

    /** Counts decode attempts, and refuses the value "bad". */
    record Fragile(String v) {
        @JsonCreator
        static Fragile of(@JsonProperty("v") String v) {
            DECODES.incrementAndGet();
            if ("bad".equals(v)) {
                throw new IllegalArgumentException("bad value");
            }
            return new Fragile(v);
        }
    }

    private static String describe(ResourceEvent<Object> e) {
        if (e instanceof Created<Object> c) {
            return "created " + c.resource();
        }
        if (e instanceof Updated<Object> u) {
            return "updated " + u.oldResource() + " -> " + u.newResource();
        }
        return "deleted " + ((Deleted<Object>) e).resource();
    }

    private Broker a;
    private Broker b;

    @BeforeEach
    void connect() {
        String url = "memory://events-" + System.nanoTime();
        a = Brokers.create(BrokerOptions.builder().url(url).nodeId("a").build());
        b = Brokers.create(BrokerOptions.builder().url(url).nodeId("b").build());
        a.connect();
        b.connect();
    }

    @AfterEach
    void disconnect() {
        a.disconnect();
        b.disconnect();
    }

    @Test
    @DisplayName("a published value arrives decoded, with content-type and event-type headers")
    void typedRoundTrip() {
        EventBus publisher = EventBus.create(a);
        EventBus subscriber = EventBus.create(b);
        List<OrderPlaced> got = new CopyOnWriteArrayList<>();
        List<Message> raw = new CopyOnWriteArrayList<>();
        subscriber.subscribe("orders.placed", OrderPlaced.class, (order, event) -> {
            got.add(order);
            raw.add(event.message());
        });
        OrderPlaced order = new OrderPlaced(7, Instant.parse("2026-11-22T09:00:00Z"), List.of("a", "b"));
        publisher.publish("orders.placed", order);
        await().atMost(Duration.ofSeconds(5)).until(() -> got.size() == 1);
        assertThat(got.get(0)).isEqualTo(order);
        assertThat(raw.get(0).header(Headers.CONTENT_TYPE)).isEqualTo(JsonCodec.CONTENT_TYPE);
        assertThat(raw.get(0).header(EventBus.EVENT_TYPE)).isEqualTo("order-placed");
        assertThat(raw.get(0).bodyAsString()).contains("\"at\":\"2026-11-22T09:00:00Z\"");
    }

    @Test
    @DisplayName("a body that does not decode goes to the dead-letter topic with the decode error, once")
    void poisonToDeadLetter() {
        EventBus bus = EventBus.create(b);
        List<Message> dead = new CopyOnWriteArrayList<>();
        b.subscribe("orders.dead", e -> dead.add(e.message()));
        List<OrderPlaced> good = new CopyOnWriteArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        bus.subscribe("orders.placed", OrderPlaced.class, (order, event) -> {
            calls.incrementAndGet();
            good.add(order);
        }, SubscribeOptions.builder().deadLetterTopic("orders.dead").maxDeliveries(5)
                .redeliveryDelay(Duration.ofMillis(10)).build());
        Message poison = Message.builder().body("{\"id\":\"not a number\"").header("x-from", "test").build();
        a.publish("orders.placed", poison);
        EventBus.create(a).publish("orders.placed", new OrderPlaced(1, Instant.EPOCH, List.of()));
        await().atMost(Duration.ofSeconds(5)).until(() -> dead.size() == 1 && good.size() == 1);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> dead.size() == 1);
        assertThat(calls.get()).isEqualTo(1);
        Message d = dead.get(0);
        assertThat(d.id()).isEqualTo(poison.id());
        assertThat(d.header("x-from")).isEqualTo("test");
        assertThat(d.header(Headers.DEAD_LETTER_REASON)).contains("CodecException").contains(OrderPlaced.class.getName());
        assertThat(d.header(Headers.DEAD_LETTER_TOPIC)).isEqualTo("orders.placed");
    }

    @Test
    @DisplayName("without a dead-letter topic a body that does not decode is dropped once, and later messages flow")
    void poisonDropped() {
        EventBus bus = EventBus.create(b);
        List<Fragile> good = new CopyOnWriteArrayList<>();
        bus.subscribe("things.made", Fragile.class, (value, event) -> good.add(value),
                SubscribeOptions.builder().queue("typed").maxDeliveries(5).redeliveryDelay(Duration.ofMillis(10)).build());
        DECODES.set(0);
        a.publish("things.made", Message.of("{\"v\":\"bad\"}"));
        a.publish("things.made", Message.of("{\"v\":\"good\"}"));
        await().atMost(Duration.ofSeconds(5)).until(() -> good.size() == 1);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> DECODES.get() == 2);
        assertThat(good).containsExactly(new Fragile("good"));
    }

    @Test
    @DisplayName("resource events: created, updated (old and new) and deleted arrive as the sealed hierarchy, on another node")
    void resourceEvents() {
        ResourceEvents publisher = new ResourceEvents(EventBus.create(a));
        ResourceEvents subscriber = new ResourceEvents(EventBus.create(b));
        List<ResourceEvent<Object>> got = new CopyOnWriteArrayList<>();
        List<String> topics = new CopyOnWriteArrayList<>();
        Subscription s = subscriber.<Object>subscribe((event, delivery) -> {
            got.add(event);
            topics.add(delivery.topic());
        }, SubscribeOptions.defaults(), Workload.class, Deployment.class);
        publisher.publishCreated(new Workload("web", 1));
        publisher.publishUpdated(new Workload("web", 1), new Workload("web", 3));
        publisher.publishDeleted(new Workload("web", 3));
        publisher.publishCreated(new Deployment("api"));
        await().atMost(Duration.ofSeconds(5)).until(() -> got.size() == 4);
        assertThat(topics).containsExactlyInAnyOrder("resource.workload.created", "resource.workload.updated",
                "resource.workload.deleted", "resource.deployment.created");
        List<String> described = got.stream().map(EventBusTest::describe).toList();
        assertThat(described).contains("created Workload[name=web, replicas=1]",
                "updated Workload[name=web, replicas=1] -> Workload[name=web, replicas=3]",
                "deleted Workload[name=web, replicas=3]", "created Deployment[name=api]");
        s.unsubscribe();
        assertThat(s.isActive()).isFalse();
    }

    @Test
    @DisplayName("resource topics follow resource.<kind>.<action>, the kind from @ResourceKind or the class name")
    void resourceTopics() {
        assertThat(ResourceEvents.topicOf(Workload.class, "created")).isEqualTo("resource.workload.created");
        assertThat(ResourceEvents.topicOf(Deployment.class, "deleted")).isEqualTo("resource.deployment.deleted");
    }
}
