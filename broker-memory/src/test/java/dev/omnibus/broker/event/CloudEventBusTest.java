package dev.omnibus.broker.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** CloudEvents on the event bus, over the memory broker: validation, both content modes, poison events. */
class CloudEventBusTest {
    @EventType("com.example.order.placed")
    record OrderPlaced(String sku, int quantity) {
    }

    @ResourceKind("deployment")
    record Deployment(String name) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private Broker broker;
    private EventBus bus;

    @BeforeEach
    void connect() {
        broker = Brokers.create(BrokerOptions.builder().url("memory://ce-" + System.nanoTime()).build());
        broker.connect();
        bus = EventBus.create(broker);
    }

    @AfterEach
    void disconnect() {
        broker.disconnect();
    }

    private static CloudEventAttributes.Builder valid() {
        return CloudEventAttributes.builder().id("1").source("/shop").type("com.example.order.placed");
    }

    @Test
    @DisplayName("invalid attributes fail at build, naming the attribute and the rule")
    void validation() {
        assertThatThrownBy(() -> valid().id(null).build()).isInstanceOf(InvalidCloudEventException.class)
                .hasMessage("required attribute 'id' is missing");
        assertThatThrownBy(() -> valid().source("").build()).hasMessage("required attribute 'source' is empty");
        assertThatThrownBy(() -> valid().type(null).build()).hasMessage("required attribute 'type' is missing");
        assertThatThrownBy(() -> valid().specVersion("0.3").build())
                .hasMessageContaining("specversion must be '1.0', got '0.3'");
        assertThatThrownBy(() -> valid().extension("Trace_Id", "x").build())
                .hasMessageContaining("attribute name 'Trace_Id' is invalid").hasMessageContaining("a-z, 0-9");
        assertThatThrownBy(() -> valid().extension("subject", "x").build()).hasMessageContaining("core attribute");
        assertThatThrownBy(() -> valid().source("not a uri").build()).hasMessageContaining("source 'not a uri' is not a URI-reference");
        assertThatThrownBy(() -> valid().dataSchema("/relative").build()).hasMessageContaining("must be an absolute URI");
        assertThatThrownBy(() -> valid().attribute("time", "yesterday").build()).hasMessageContaining("RFC 3339");
        assertThatThrownBy(() -> valid().dataContentType("json").build()).hasMessageContaining("media type");
        assertThatThrownBy(() -> valid().subject("a\nb").build()).hasMessageContaining("control character U+000A");
        assertThatThrownBy(() -> bus.withCloudEvents(URI.create(""))).isInstanceOf(InvalidCloudEventException.class);

        CloudEventAttributes a = valid().extension("averyveryverylongextensionname", "ok")
                .attribute("time", "2026-04-05t17:31:00z").build();
        assertThat(a.extension("averyveryverylongextensionname")).contains("ok");
        assertThat(a.asMap()).containsEntry("time", "2026-04-05T17:31:00Z").containsEntry("specversion", "1.0");
        assertThat(a.toBuilder().build()).isEqualTo(a);
    }

    @ParameterizedTest
    @EnumSource(CloudEventMode.class)
    @DisplayName("publishCloudEvent and subscribeCloudEvents round-trip every attribute and the data in both modes")
    void roundTrip(CloudEventMode mode) {
        List<Message> raw = new CopyOnWriteArrayList<>();
        List<CloudEvent<OrderPlaced>> got = new CopyOnWriteArrayList<>();
        broker.subscribe("orders", e -> raw.add(e.message()));
        bus.subscribeCloudEvents("orders", OrderPlaced.class, (ce, e) -> got.add(ce));
        CloudEventAttributes a = valid().subject("orders/42").time(OffsetDateTime.parse("2026-04-05T17:31:00.5+02:00"))
                .dataSchema("https://example.com/order.json").extension("comment", "café \"50%\"").build();
        bus.publishCloudEvent("orders", a, new OrderPlaced("sku-1", 2), mode);
        await().atMost(Duration.ofSeconds(5)).until(() -> got.size() == 1 && raw.size() == 1);
        assertThat(got.get(0).data()).isEqualTo(new OrderPlaced("sku-1", 2));
        assertThat(got.get(0).attributes()).isEqualTo(a.toBuilder().dataContentType("application/json").build());
        Message m = raw.get(0);
        if (mode == CloudEventMode.BINARY) {
            assertThat(m.headers()).containsEntry("ce-id", "1").containsEntry("ce-specversion", "1.0")
                    .containsEntry("ce-source", "/shop").containsEntry("ce-time", "2026-04-05T17:31:00.5+02:00")
                    .containsEntry("ce-comment", "café \"50%\"").containsEntry(Headers.CONTENT_TYPE, "application/json")
                    .doesNotContainKey("ce-datacontenttype");
            assertThat(m.bodyAsString()).isEqualTo("{\"sku\":\"sku-1\",\"quantity\":2}");
        } else {
            assertThat(m.header(Headers.CONTENT_TYPE)).isEqualTo("application/cloudevents+json");
            assertThat(m.headers().keySet()).noneMatch(h -> h.startsWith("ce-"));
            assertThat(m.bodyAsString()).contains("\"data\":{\"sku\":\"sku-1\",\"quantity\":2}").contains("\"id\":\"1\"");
        }
    }

    @ParameterizedTest
    @EnumSource(CloudEventMode.class)
    @DisplayName("a bus withCloudEvents publishes every value as a CloudEvent; plain subscribers still get the value")
    void perBus(CloudEventMode mode) {
        EventBus ce = bus.withCloudEvents(URI.create("urn:example:shop"), mode);
        assertThat(ce.cloudEventMode()).contains(mode);
        assertThat(ce.cloudEventBinding()).isEqualTo(CloudEventBinding.DEFAULT);
        List<OrderPlaced> plain = new CopyOnWriteArrayList<>();
        List<CloudEvent<OrderPlaced>> events = new CopyOnWriteArrayList<>();
        bus.subscribe("orders", OrderPlaced.class, (o, e) -> plain.add(o));
        ce.subscribeCloudEvents("orders", OrderPlaced.class, (o, e) -> events.add(o));
        ce.publish("orders", new OrderPlaced("sku-2", 1));
        await().atMost(Duration.ofSeconds(5)).until(() -> plain.size() == 1 && events.size() == 1);
        assertThat(plain).containsExactly(new OrderPlaced("sku-2", 1));
        CloudEventAttributes a = events.get(0).attributes();
        assertThat(a.type()).isEqualTo("com.example.order.placed");
        assertThat(a.source()).isEqualTo(URI.create("urn:example:shop"));
        assertThat(a.id()).hasSize(36);
        assertThat(a.time()).isPresent();
        assertThat(a.dataContentType()).contains("application/json");
    }

    @ParameterizedTest
    @EnumSource(CloudEventMode.class)
    @DisplayName("ResourceEvents on a CloudEvents bus: type resource.<kind>.<action>, read back by ResourceEvents subscribers")
    void resourceEvents(CloudEventMode mode) {
        EventBus ce = bus.withCloudEvents(URI.create("/cluster"), mode);
        List<String> types = new CopyOnWriteArrayList<>();
        List<ResourceEvent<Deployment>> got = new CopyOnWriteArrayList<>();
        ce.subscribeCloudEvents("resource.deployment.>", JsonNode.class, (e, d) -> types.add(e.attributes().type()));
        new ResourceEvents(ce).subscribe((e, d) -> got.add(e), Deployment.class);
        ResourceEvents events = new ResourceEvents(ce);
        events.publishCreated(new Deployment("web"));
        events.publishUpdated(new Deployment("web"), new Deployment("web2"));
        events.publishDeleted(new Deployment("web2"));
        await().atMost(Duration.ofSeconds(5)).until(() -> got.size() == 3 && types.size() == 3);
        assertThat(types).containsExactly("resource.deployment.created", "resource.deployment.updated",
                "resource.deployment.deleted");
        assertThat(got).containsExactly(new ResourceEvent.Created<>(new Deployment("web")),
                new ResourceEvent.Updated<>(new Deployment("web"), new Deployment("web2")),
                new ResourceEvent.Deleted<>(new Deployment("web2")));
    }

    @Test
    @DisplayName("malformed incoming events are dead-lettered with the reason; the subscription goes on")
    void poison() {
        List<Message> dead = new CopyOnWriteArrayList<>();
        List<CloudEvent<OrderPlaced>> got = new CopyOnWriteArrayList<>();
        broker.subscribe("orders.dlq", e -> dead.add(e.message()));
        bus.subscribeCloudEvents("orders", OrderPlaced.class, (ce, e) -> got.add(ce),
                SubscribeOptions.builder().deadLetterTopic("orders.dlq").build());
        Map<String, String> ok = Map.of("ce-specversion", "1.0", "ce-id", "1", "ce-source", "/s", "ce-type", "t");
        String body = "{\"sku\":\"a\",\"quantity\":1}";
        broker.publish("orders", message(Map.of("ce-specversion", "0.3", "ce-id", "1", "ce-source", "/s", "ce-type", "t"), body));
        broker.publish("orders", message(Map.of("ce-specversion", "1.0", "ce-source", "/s", "ce-type", "t"), body));
        broker.publish("orders", message(Map.of(Headers.CONTENT_TYPE, "application/json"), body));
        broker.publish("orders", message(Map.of(Headers.CONTENT_TYPE, "application/cloudevents+json"), "{\"id\":"));
        broker.publish("orders", message(merge(ok, Map.of("ce-Bad_Name", "x")), body));
        broker.publish("orders", message(ok, "not json"));
        broker.publish("orders", message(ok, body));
        await().atMost(Duration.ofSeconds(5)).until(() -> dead.size() == 6 && got.size() == 1);
        assertThat(dead).extracting(m -> m.header(Headers.DEAD_LETTER_REASON)).satisfiesExactly(
                r -> assertThat(r).startsWith(InvalidCloudEventException.class.getName()).contains("specversion must be '1.0', got '0.3'"),
                r -> assertThat(r).contains("required attribute 'id' is missing"),
                r -> assertThat(r).contains("not a CloudEvent: no 'ce-specversion' header"),
                r -> assertThat(r).contains("structured CloudEvent is not valid JSON"),
                r -> assertThat(r).contains("attribute name 'bad_name' is invalid"),
                r -> assertThat(r).startsWith(CodecException.class.getName()));
        assertThat(dead).allSatisfy(m -> assertThat(m.header(Headers.DEAD_LETTER_TOPIC)).isEqualTo("orders"));
        assertThat(got.get(0).data()).isEqualTo(new OrderPlaced("a", 1));
    }

    @Test
    @DisplayName("structured data: JSON embedded, text as a string, anything else as data_base64; all read back")
    void structuredData() throws Exception {
        CloudEventAttributes text = valid().dataContentType("text/plain").build();
        byte[] json = CloudEventWire.structured(text, "héllo".getBytes(StandardCharsets.UTF_8));
        assertThat(JSON.readTree(json).get("data").textValue()).isEqualTo("héllo");
        assertThat(CloudEventWire.readStructured(json).data()).isEqualTo("héllo".getBytes(StandardCharsets.UTF_8));
        CloudEventAttributes bin = valid().dataContentType("application/octet-stream").build();
        byte[] bytes = {0, 1, (byte) 0xff};
        json = CloudEventWire.structured(bin, bytes);
        assertThat(JSON.readTree(json).get("data_base64").textValue()).isEqualTo("AAH/");
        assertThat(CloudEventWire.readStructured(json).data()).isEqualTo(bytes);
        assertThat(CloudEventWire.readStructured(CloudEventWire.structured(valid().build(), null)).data()).isNull();
        JsonNode ints = JSON.readTree("{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\",\"count\":42,\"flag\":true}");
        assertThat(CloudEventWire.readStructured(JSON.writeValueAsBytes(ints)).attributes().extensions())
                .containsExactly(Map.entry("count", "42"), Map.entry("flag", "true"));
        assertThatThrownBy(() -> CloudEventWire.readStructured("{\"specversion\":\"1.0\",\"id\":1,\"source\":\"/s\",\"type\":\"t\"}"
                .getBytes(StandardCharsets.UTF_8))).hasMessageContaining("attribute 'id' must be a JSON string");
    }

    @Test
    @DisplayName("percent-encoding as the NATS and HTTP bindings specify")
    void percentEncoding() {
        assertThat(CloudEventWire.percentEncode("Euro € 😀")).isEqualTo("Euro%20%E2%82%AC%20%F0%9F%98%80");
        assertThat(CloudEventWire.percentEncode("a\"b%c")).isEqualTo("a%22b%25c");
        assertThat(CloudEventWire.percentEncode("/plain-ASCII_ok")).isEqualTo("/plain-ASCII_ok");
        assertThat(CloudEventWire.percentDecode("x", "Euro%20%e2%82%ac%20%F0%9F%98%80")).isEqualTo("Euro € 😀");
        assertThat(CloudEventWire.percentDecode("x", "\"quoted \\\"value\\\"\"")).isEqualTo("quoted \"value\"");
        assertThat(CloudEventWire.percentDecode("x", "%41bc")).isEqualTo("Abc");
        assertThatThrownBy(() -> CloudEventWire.percentDecode("x", "%C0%A0")).isInstanceOf(InvalidCloudEventException.class)
                .hasMessageContaining("not valid UTF-8");
        assertThatThrownBy(() -> CloudEventWire.percentDecode("x", "50%")).hasMessageContaining("two hex digits");
    }

    private static Map<String, String> merge(Map<String, String> a, Map<String, String> b) {
        Map<String, String> m = new java.util.LinkedHashMap<>(a);
        m.putAll(b);
        return m;
    }

    private static Message message(Map<String, String> headers, String body) {
        return Message.builder().headers(headers).body(body).build();
    }
}
