package dev.omnibus.broker.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.event.CloudEvent;
import dev.omnibus.broker.event.CloudEventAttributes;
import dev.omnibus.broker.event.CloudEventBinding;
import dev.omnibus.broker.event.CloudEventMode;
import dev.omnibus.broker.event.EventBus;
import dev.omnibus.broker.tck.CloudEventSdkWire;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.Nats;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.net.URI;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CloudEvents Java SDK and Omnibus read each other's events on NATS, core and JetStream, both
 * content modes, both directions; the SDK's side goes through plain jnats messages.
 */
class CloudEventNatsInteropTest {
    record Order(String sku, int quantity) {
    }

    enum NatsMode {
        CORE, JETSTREAM
    }

    static final String STREAM = "omnibus_ce_" + Message.newId().substring(0, 8);
    static final ObjectMapper JSON = new ObjectMapper();
    static final OffsetDateTime TIME = OffsetDateTime.parse("2026-04-05T17:31:00.123Z");
    /** The NATS binding's names: ce- headers, datacontenttype in ce-datacontenttype, values percent-encoded. */
    static final CloudEventSdkWire SDK = new CloudEventSdkWire("ce-", "ce-datacontenttype", true);

    private static Connection raw;
    private final List<Broker> brokers = new ArrayList<>();
    private final String prefix = "cetest" + Message.newId().substring(0, 8);

    @BeforeAll
    static void connectRaw() throws Exception {
        raw = Nats.connect(NatsCoreBrokerTest.URL);
    }

    @AfterAll
    static void cleanUp() throws Exception {
        try {
            raw.jetStreamManagement().deleteStream(STREAM);
        } catch (JetStreamApiException notThere) {
            // no JetStream test ran
        }
        assertThat(raw.jetStreamManagement().getStreamNames()).doesNotContain(STREAM);
        raw.close();
    }

    @AfterEach
    void disconnect() {
        brokers.forEach(Broker::disconnect);
    }

    private EventBus bus(NatsMode kind) {
        Broker b = Brokers.create(kind == NatsMode.CORE ? NatsCoreBrokerTest.URL
                : NatsCoreBrokerTest.URL + "?jetstream=true&stream=" + STREAM + "&ackWait=PT5S");
        b.connect();
        brokers.add(b);
        return EventBus.create(b);
    }

    static Stream<Arguments> cases() {
        return Stream.of(NatsMode.values()).flatMap(k -> Stream.of(CloudEventMode.values()).map(m -> Arguments.of(k, m)));
    }

    private static Map<String, String> headersOf(io.nats.client.Message m) {
        Map<String, String> h = new LinkedHashMap<>();
        if (m.getHeaders() != null) {
            m.getHeaders().entrySet().forEach(e -> h.put(e.getKey(), String.join(",", e.getValue())));
        }
        return h;
    }

    private static void publishRaw(String subject, CloudEventSdkWire.Wire w) throws Exception {
        Headers h = new Headers();
        w.headers().forEach(h::put);
        raw.publish(NatsMessage.builder().subject(subject).headers(h).data(w.body()).build());
        raw.flush(Duration.ofSeconds(5));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    @DisplayName("the SDK reads, from a plain jnats subscription, what Omnibus published")
    void sdkReadsOmnibus(NatsMode kind, CloudEventMode mode) throws Exception {
        EventBus bus = bus(kind);
        assertThat(bus.cloudEventBinding()).isEqualTo(CloudEventBinding.of("ce-", "ce-datacontenttype", true));
        String topic = prefix + ".out";
        io.nats.client.Subscription sub = raw.subscribe(topic);
        raw.flush(Duration.ofSeconds(5));
        CloudEventAttributes a = CloudEventAttributes.builder().id("order-42").source("/shop/orders")
                .type("com.example.order.placed").time(TIME).subject("orders/42")
                .dataSchema("https://example.com/schemas/order.json").extension("comment", "café au lait, \"50%\"")
                .extension("count", "42").build();
        bus.publishCloudEvent(topic, a, new Order("sku-1", 2), mode);
        io.nats.client.Message m = sub.nextMessage(Duration.ofSeconds(10));
        sub.unsubscribe();
        assertThat(m).as("message on " + topic).isNotNull();
        Map<String, String> headers = headersOf(m);
        if (mode == CloudEventMode.BINARY) {
            assertThat(headers).containsEntry("ce-specversion", "1.0").containsEntry("ce-id", "order-42")
                    .containsEntry("ce-datacontenttype", "application/json")
                    .containsEntry("ce-comment", "caf%C3%A9%20au%20lait,%20%2250%25%22");
        } else {
            assertThat(headers).containsEntry("content-type", "application/cloudevents+json");
        }
        io.cloudevents.CloudEvent e = SDK.read(headers, m.getData());
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

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    @DisplayName("Omnibus reads what the SDK wrote into a plain jnats message")
    void omnibusReadsSdk(NatsMode kind, CloudEventMode mode) throws Exception {
        EventBus bus = bus(kind);
        String topic = prefix + ".in";
        List<CloudEvent<Order>> got = new CopyOnWriteArrayList<>();
        bus.subscribeCloudEvents(topic, Order.class, (e, d) -> got.add(e));
        io.cloudevents.CloudEvent event = CloudEventBuilder.v1().withId("order-43").withSource(URI.create("urn:example:shop"))
                .withType("com.example.order.placed").withTime(TIME).withSubject("orders/43")
                .withDataSchema(URI.create("https://example.com/schemas/order.json"))
                .withExtension("comment", "crème brûlée, \"10%\"").withExtension("count", 7).withExtension("urgent", true)
                .withDataContentType("application/json").withData(JSON.writeValueAsBytes(new Order("sku-9", 3))).build();
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

    @ParameterizedTest
    @EnumSource(NatsMode.class)
    @DisplayName("a foreign event with a wrong specversion is dead-lettered with the reason; the next one is delivered")
    void poison(NatsMode kind) throws Exception {
        EventBus bus = bus(kind);
        String topic = prefix + ".poison";
        List<CloudEvent<Order>> got = new CopyOnWriteArrayList<>();
        io.nats.client.Subscription dlq = raw.subscribe(topic + ".dlq");
        raw.flush(Duration.ofSeconds(5));
        bus.subscribeCloudEvents(topic, Order.class, (e, d) -> got.add(e),
                SubscribeOptions.builder().deadLetterTopic(topic + ".dlq").build());
        io.cloudevents.CloudEvent good = CloudEventBuilder.v1().withId("1").withSource(URI.create("/s")).withType("t")
                .withDataContentType("application/json").withData(JSON.writeValueAsBytes(new Order("ok", 1))).build();
        CloudEventSdkWire.Wire w = SDK.writeBinary(good);
        Map<String, String> bad = new LinkedHashMap<>(w.headers());
        bad.put("ce-specversion", "0.3");
        publishRaw(topic, new CloudEventSdkWire.Wire(bad, w.body()));
        publishRaw(topic, w);
        io.nats.client.Message dead = dlq.nextMessage(Duration.ofSeconds(10));
        dlq.unsubscribe();
        assertThat(dead).isNotNull();
        assertThat(dead.getHeaders().getFirst(dev.omnibus.broker.Headers.DEAD_LETTER_REASON))
                .contains("specversion must be '1.0', got '0.3'");
        await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 1);
        assertThat(got.get(0).data()).isEqualTo(new Order("ok", 1));
    }
}
