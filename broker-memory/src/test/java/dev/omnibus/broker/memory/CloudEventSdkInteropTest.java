package dev.omnibus.broker.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.event.CloudEvent;
import dev.omnibus.broker.event.CloudEventAttributes;
import dev.omnibus.broker.event.CloudEventMode;
import dev.omnibus.broker.event.EventBus;
import dev.omnibus.broker.tck.CloudEventSdkWire;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.builder.CloudEventBuilder;
import java.net.URI;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The CloudEvents Java SDK and Omnibus read each other's events on the memory broker, both modes, both directions. */
class CloudEventSdkInteropTest {
    record Order(String sku, int quantity) {
    }

    static final ObjectMapper JSON = new ObjectMapper();
    static final OffsetDateTime TIME = OffsetDateTime.parse("2026-04-05T17:31:00.123Z");
    /** The memory broker's names: ce- headers, datacontenttype in content-type, values as they are. */
    static final CloudEventSdkWire SDK = new CloudEventSdkWire("ce-", "content-type", false);

    private Broker broker;
    private EventBus bus;

    @BeforeEach
    void connect() {
        broker = Brokers.create(BrokerOptions.builder().url("memory://ce-interop-" + System.nanoTime()).build());
        broker.connect();
        bus = EventBus.create(broker);
    }

    @AfterEach
    void disconnect() {
        broker.disconnect();
    }

    static CloudEventAttributes omnibusAttributes() {
        return CloudEventAttributes.builder().id("order-42").source("/shop/orders").type("com.example.order.placed")
                .time(TIME).subject("orders/42").dataSchema("https://example.com/schemas/order.json")
                .extension("comment", "café au lait, \"50%\"").extension("count", "42").build();
    }

    static io.cloudevents.CloudEvent sdkEvent() throws Exception {
        return CloudEventBuilder.v1().withId("order-43").withSource(URI.create("urn:example:shop")).withType("com.example.order.placed")
                .withTime(TIME).withSubject("orders/43").withDataSchema(URI.create("https://example.com/schemas/order.json"))
                .withExtension("comment", "crème brûlée, \"10%\"").withExtension("count", 7).withExtension("urgent", true)
                .withDataContentType("application/json").withData(JSON.writeValueAsBytes(new Order("sku-9", 3))).build();
    }

    /** What the SDK read must be what Omnibus sent. */
    static void assertSdkRead(io.cloudevents.CloudEvent e) throws Exception {
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

    /** What Omnibus read must be what the SDK sent. */
    static void assertOmnibusRead(CloudEvent<Order> e) {
        CloudEventAttributes a = e.attributes();
        assertThat(a.specVersion()).isEqualTo("1.0");
        assertThat(a.id()).isEqualTo("order-43");
        assertThat(a.source()).isEqualTo(URI.create("urn:example:shop"));
        assertThat(a.type()).isEqualTo("com.example.order.placed");
        assertThat(a.time()).contains(TIME);
        assertThat(a.subject()).contains("orders/43");
        assertThat(a.dataSchema()).contains(URI.create("https://example.com/schemas/order.json"));
        assertThat(a.dataContentType()).contains("application/json");
        assertThat(a.extensions()).containsEntry("comment", "crème brûlée, \"10%\"").containsEntry("count", "7")
                .containsEntry("urgent", "true");
        assertThat(e.data()).isEqualTo(new Order("sku-9", 3));
    }

    @ParameterizedTest
    @EnumSource(CloudEventMode.class)
    @DisplayName("the SDK reads what Omnibus published")
    void sdkReadsOmnibus(CloudEventMode mode) throws Exception {
        List<Message> got = new CopyOnWriteArrayList<>();
        broker.subscribe("interop.out", e -> got.add(e.message()));
        bus.publishCloudEvent("interop.out", omnibusAttributes(), new Order("sku-1", 2), mode);
        await().atMost(Duration.ofSeconds(5)).until(() -> got.size() == 1);
        assertSdkRead(SDK.read(got.get(0).headers(), got.get(0).body()));
    }

    @ParameterizedTest
    @EnumSource(CloudEventMode.class)
    @DisplayName("Omnibus reads what the SDK wrote")
    void omnibusReadsSdk(CloudEventMode mode) throws Exception {
        List<CloudEvent<Order>> got = new CopyOnWriteArrayList<>();
        bus.subscribeCloudEvents("interop.in", Order.class, (e, d) -> got.add(e));
        CloudEventSdkWire.Wire w = mode == CloudEventMode.BINARY ? SDK.writeBinary(sdkEvent()) : SDK.writeStructured(sdkEvent());
        broker.publish("interop.in", Message.wrap(w.headers(), w.body()));
        await().atMost(Duration.ofSeconds(5)).until(() -> got.size() == 1);
        assertOmnibusRead(got.get(0));
    }
}
