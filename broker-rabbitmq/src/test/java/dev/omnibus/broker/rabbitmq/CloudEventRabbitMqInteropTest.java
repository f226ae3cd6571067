package dev.omnibus.broker.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Headers;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.event.CloudEvent;
import dev.omnibus.broker.event.CloudEventAttributes;
import dev.omnibus.broker.event.CloudEventBinding;
import dev.omnibus.broker.event.CloudEventMode;
import dev.omnibus.broker.event.EventBus;
import dev.omnibus.broker.tck.BrokerServers;
import dev.omnibus.broker.tck.CloudEventSdkWire;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.builder.CloudEventBuilder;
import java.net.URI;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The CloudEvents Java SDK and Omnibus read each other's events on RabbitMQ, both content modes,
 * both directions; the SDK's side goes through plain amqp-client messages: attributes in the
 * headers table as {@code cloudEvents_*}, datacontenttype (or the structured content type) in the
 * AMQP content_type property, as the AMQP binding puts them.
 */
class CloudEventRabbitMqInteropTest {
    record Order(String sku, int quantity) {
    }

    static final String EXCHANGE = "omnibus-ce-" + Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffffL, 36);
    static final ObjectMapper JSON = new ObjectMapper();
    static final OffsetDateTime TIME = OffsetDateTime.parse("2026-04-05T17:31:00.123Z");
    static final CloudEventSdkWire SDK = new CloudEventSdkWire("cloudEvents_", "content-type", false);

    private static Connection raw;
    private static Channel channel;
    private final List<Broker> brokers = new ArrayList<>();

    @BeforeAll
    static void connectRaw() throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(BrokerServers.rabbitMqUrl());
        raw = f.newConnection("omnibus-ce-test-raw");
        channel = raw.createChannel();
    }

    @AfterAll
    static void cleanUp() throws Exception {
        raw.close();
        RabbitCtl.delete(RabbitCtl.queuesStartingWith(EXCHANGE + "."), List.of(EXCHANGE));
    }

    @AfterEach
    void disconnect() {
        brokers.forEach(Broker::disconnect);
    }

    private EventBus bus() {
        Broker b = Brokers.create(RabbitMqBrokerCompatibilityTest.options("ce-" + brokers.size() + "-"
                + Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffL, 36)).toBuilder()
                .property("exchange", EXCHANGE).build());
        b.connect();
        brokers.add(b);
        return EventBus.create(b);
    }

    /** A queue of the raw client bound to {@code topic} on the test exchange. */
    private static String rawQueue(String topic) throws Exception {
        String q = EXCHANGE + ".raw." + topic;
        channel.queueDeclare(q, false, false, true, null);
        channel.queueBind(q, EXCHANGE, topic);
        return q;
    }

    private static GetResponse next(String queue) {
        AtomicReference<GetResponse> got = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            got.set(channel.basicGet(queue, true));
            return got.get() != null;
        });
        return got.get();
    }

    /** Headers as an AMQP consumer sees them: the content_type property and the headers table. */
    private static Map<String, String> headersOf(AMQP.BasicProperties p) {
        Map<String, String> h = new LinkedHashMap<>();
        if (p.getContentType() != null) {
            h.put("content-type", p.getContentType());
        }
        if (p.getHeaders() != null) {
            p.getHeaders().forEach((k, v) -> h.putIfAbsent(k, String.valueOf(v)));
        }
        return h;
    }

    private static void publishRaw(String topic, CloudEventSdkWire.Wire w) throws Exception {
        Map<String, Object> table = new HashMap<>(w.headers());
        Object contentType = table.remove("content-type");
        channel.basicPublish(EXCHANGE, topic, new AMQP.BasicProperties.Builder()
                .contentType(contentType == null ? null : contentType.toString()).headers(table).build(), w.body());
    }

    private static io.cloudevents.CloudEvent sdkEvent() throws Exception {
        return CloudEventBuilder.v1().withId("order-43").withSource(URI.create("urn:example:shop"))
                .withType("com.example.order.placed").withTime(TIME).withSubject("orders/43")
                .withDataSchema(URI.create("https://example.com/schemas/order.json"))
                .withExtension("comment", "crème brûlée, \"10%\"").withExtension("count", 7).withExtension("urgent", true)
                .withDataContentType("application/json").withData(JSON.writeValueAsBytes(new Order("sku-9", 3))).build();
    }

    @ParameterizedTest
    @EnumSource(CloudEventMode.class)
    @DisplayName("the SDK reads, from a plain amqp-client queue, what Omnibus published")
    void sdkReadsOmnibus(CloudEventMode mode) throws Exception {
        EventBus bus = bus();
        assertThat(bus.cloudEventBinding()).isEqualTo(CloudEventBinding.of("cloudEvents_", Headers.CONTENT_TYPE, false));
        String topic = "ce.out." + mode.name().toLowerCase();
        String q = rawQueue(topic);
        CloudEventAttributes a = CloudEventAttributes.builder().id("order-42").source("/shop/orders")
                .type("com.example.order.placed").time(TIME).subject("orders/42")
                .dataSchema("https://example.com/schemas/order.json").extension("comment", "café au lait, \"50%\"")
                .extension("count", "42").build();
        bus.publishCloudEvent(topic, a, new Order("sku-1", 2), mode);
        GetResponse r = next(q);
        Map<String, String> headers = headersOf(r.getProps());
        if (mode == CloudEventMode.BINARY) {
            assertThat(r.getProps().getContentType()).isEqualTo("application/json");
            assertThat(headers).containsEntry("cloudEvents_specversion", "1.0").containsEntry("cloudEvents_id", "order-42")
                    .containsEntry("cloudEvents_comment", "café au lait, \"50%\"").doesNotContainKey("cloudEvents_datacontenttype");
        } else {
            assertThat(r.getProps().getContentType()).isEqualTo("application/cloudevents+json");
        }
        io.cloudevents.CloudEvent e = SDK.read(headers, r.getBody());
        assertThat(e.getSpecVersion()).isEqualTo(SpecVersion.V1);
        assertThat(e.getId()).isEqualTo("order-42");
        assertThat(e.getSource()).isEqualTo(URI.create("/shop/orders"));
        assertThat(e.getType()).isEqualTo("com.example.order.placed");
        assertThat(e.getTime()).isEqualTo(TIME);
        assertThat(e.getSubject()).isEqualTo("orders/42");
        assertThat(e.getDataSchema()).isEqualTo(URI.create("https://example.com/schemas/order.json"));
        assertThat(e.getDataContentType()).isEqualTo("application/json");
        assertThat(e.getExtension("comment")).isEqualTo("café au lait, \"50%\"");
        assertThat(String.valueOf(e.getExtension("count"))).isEqualTo("42");
        assertThat(JSON.readValue(e.getData().toBytes(), Order.class)).isEqualTo(new Order("sku-1", 2));
    }

    @ParameterizedTest
    @EnumSource(CloudEventMode.class)
    @DisplayName("Omnibus reads what the SDK wrote into a plain amqp-client message")
    void omnibusReadsSdk(CloudEventMode mode) throws Exception {
        EventBus bus = bus();
        String topic = "ce.in." + mode.name().toLowerCase();
        List<CloudEvent<Order>> got = new CopyOnWriteArrayList<>();
        bus.subscribeCloudEvents(topic, Order.class, (e, d) -> got.add(e));
        io.cloudevents.CloudEvent event = sdkEvent();
        publishRaw(topic, mode == CloudEventMode.BINARY ? SDK.writeBinary(event) : SDK.writeStructured(event));
        await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 1);
        CloudEventAttributes a = got.get(0).attributes();
        assertThat(a.id()).isEqualTo("order-43");
        assertThat(a.source()).isEqualTo(URI.create("urn:example:shop"));
        assertThat(a.type()).isEqualTo("com.example.order.placed");
        assertThat(a.time()).contains(TIME);
        assertThat(a.subject()).contains("orders/43");
        assertThat(a.dataSchema()).contains(URI.create("https://example.com/schemas/order.json"));
        assertThat(a.dataContentType()).contains("application/json");
        assertThat(a.extensions()).containsEntry("comment", "crème brûlée, \"10%\"").containsEntry("count", "7")
                .containsEntry("urgent", "true");
        assertThat(got.get(0).data()).isEqualTo(new Order("sku-9", 3));
    }

    @Test
    @DisplayName("a time sent as an AMQP timestamp reads as RFC 3339")
    void amqpTimestamp() throws Exception {
        EventBus bus = bus();
        String topic = "ce.in.timestamp";
        List<CloudEvent<Order>> got = new CopyOnWriteArrayList<>();
        bus.subscribeCloudEvents(topic, Order.class, (e, d) -> got.add(e));
        Map<String, Object> table = new HashMap<>(Map.of("cloudEvents_specversion", "1.0", "cloudEvents_id", "ts",
                "cloudEvents_source", "/s", "cloudEvents_type", "t", "cloudEvents_time", Date.from(TIME.toInstant())));
        channel.basicPublish(EXCHANGE, topic, new AMQP.BasicProperties.Builder().contentType("application/json")
                .headers(table).build(), JSON.writeValueAsBytes(new Order("x", 1)));
        await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 1);
        // AMQP timestamps have whole seconds
        assertThat(got.get(0).attributes().time()).contains(OffsetDateTime.parse("2026-04-05T17:31:00Z"));
    }

    @Test
    @DisplayName("a foreign event without an id is dead-lettered with the reason; the next one is delivered")
    void poison() throws Exception {
        EventBus bus = bus();
        String topic = "ce.poison";
        String dlq = rawQueue(topic + ".dlq");
        List<CloudEvent<Order>> got = new CopyOnWriteArrayList<>();
        bus.subscribeCloudEvents(topic, Order.class, (e, d) -> got.add(e),
                SubscribeOptions.builder().deadLetterTopic(topic + ".dlq").build());
        io.cloudevents.CloudEvent good = CloudEventBuilder.v1().withId("1").withSource(URI.create("/s")).withType("t")
                .withDataContentType("application/json").withData(JSON.writeValueAsBytes(new Order("ok", 1))).build();
        CloudEventSdkWire.Wire w = SDK.writeBinary(good);
        Map<String, String> bad = new LinkedHashMap<>(w.headers());
        bad.remove("cloudEvents_id");
        publishRaw(topic, new CloudEventSdkWire.Wire(bad, w.body()));
        publishRaw(topic, w);
        GetResponse dead = next(dlq);
        assertThat(String.valueOf(dead.getProps().getHeaders().get(Headers.DEAD_LETTER_REASON)))
                .contains("required attribute 'id' is missing");
        await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 1);
        assertThat(got.get(0).data()).isEqualTo(new Order("ok", 1));
    }
}
