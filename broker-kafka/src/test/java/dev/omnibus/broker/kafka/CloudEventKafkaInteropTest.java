package dev.omnibus.broker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Headers;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.event.CloudEvent;
import dev.omnibus.broker.event.CloudEventAttributes;
import dev.omnibus.broker.event.CloudEventBinding;
import dev.omnibus.broker.event.CloudEventMode;
import dev.omnibus.broker.event.EventBus;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.message.Encoding;
import io.cloudevents.jackson.JsonFormat;
import io.cloudevents.kafka.CloudEventDeserializer;
import io.cloudevents.kafka.CloudEventSerializer;
import io.cloudevents.kafka.KafkaMessageFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.serialization.VoidSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The CloudEvents Java SDK's Kafka binding ({@code cloudevents-kafka}: {@link CloudEventSerializer},
 * {@link CloudEventDeserializer}, {@link KafkaMessageFactory}) on plain kafka-clients producers and
 * consumers, and Omnibus read each other's events, both content modes, both directions: attributes
 * as {@code ce_*} record headers (UTF-8, as they are), datacontenttype (or the structured content
 * type) in {@code content-type}.
 */
@DisplayName("CloudEvents on Kafka with the SDK's Kafka binding")
class CloudEventKafkaInteropTest {
    record Order(String sku, int quantity) {
    }

    static final String RUN = Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffffL, 36);
    /** First token of every topic this class makes: cleaned up at the end. */
    static final String TOPICS = "cekafka-" + RUN;
    /** The brokers' {@code prefix}: of any consumer group or reply topic they would create. */
    static final String GROUPS = "cekafka-omnibus-" + RUN;
    static final ObjectMapper JSON = new ObjectMapper();
    static final OffsetDateTime TIME = OffsetDateTime.parse("2026-04-05T17:31:00.123Z");

    private final List<Broker> brokers = new ArrayList<>();

    @AfterEach
    void disconnect() {
        brokers.forEach(Broker::disconnect);
    }

    @AfterAll
    static void cleanUp() throws Exception {
        try (Admin admin = KafkaTestSupport.admin()) {
            List<String> mine = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                    .filter(t -> t.startsWith(TOPICS) || t.startsWith(GROUPS)).toList();
            admin.deleteTopics(mine).all().get(30, TimeUnit.SECONDS);
            List<String> groups = admin.listConsumerGroups().all().get(30, TimeUnit.SECONDS).stream()
                    .map(ConsumerGroupListing::groupId).filter(g -> g.startsWith(GROUPS)).toList();
            admin.deleteConsumerGroups(groups).all().get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(admin.listTopics().names()
                    .get(30, TimeUnit.SECONDS)).noneMatch(t -> t.startsWith(TOPICS) || t.startsWith(GROUPS)));
            assertThat(groups).as("broadcast subscribers and plain assigned consumers make no group").isEmpty();
        }
    }

    private EventBus bus() {
        Broker b = Brokers.create(KafkaTestSupport.options("ce-" + RUN + "-" + brokers.size()).toBuilder()
                .property("prefix", GROUPS).build());
        b.connect();
        brokers.add(b);
        return EventBus.create(b);
    }

    private static String topic(String name) {
        return TOPICS + "." + name;
    }

    /** A plain consumer, without a group, reading {@code topic} from its start. */
    private static <V> KafkaConsumer<String, V> consumer(String topic, Class<?> valueDeserializer) {
        KafkaConsumer<String, V> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestSupport.bootstrap(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, valueDeserializer));
        List<TopicPartition> parts = c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
        assertThat(parts).as("partitions of " + topic).isNotEmpty();
        c.assign(parts);
        c.seekToBeginning(parts);
        return c;
    }

    /** The first record the consumer gets, polled (in this thread: a consumer is single-threaded) until one comes. */
    private static <V> ConsumerRecord<String, V> next(KafkaConsumer<String, V> c) {
        List<ConsumerRecord<String, V>> got = new ArrayList<>();
        await().atMost(Duration.ofSeconds(20)).pollInSameThread().pollInterval(Duration.ZERO).until(() -> {
            c.poll(Duration.ofMillis(200)).forEach(got::add);
            return !got.isEmpty();
        });
        return got.get(0);
    }

    private static Map<String, String> headersOf(ConsumerRecord<?, ?> r) {
        Map<String, String> h = new LinkedHashMap<>();
        for (Header x : r.headers()) {
            h.put(x.key(), x.value() == null ? null : new String(x.value(), StandardCharsets.UTF_8));
        }
        return h;
    }

    private static KafkaProducer<String, io.cloudevents.CloudEvent> sdkProducer(CloudEventMode mode) {
        Map<String, Object> config = new LinkedHashMap<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestSupport.bootstrap(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, CloudEventSerializer.class,
                CloudEventSerializer.ENCODING_CONFIG, mode == CloudEventMode.BINARY ? Encoding.BINARY : Encoding.STRUCTURED));
        if (mode == CloudEventMode.STRUCTURED) {
            config.put(CloudEventSerializer.EVENT_FORMAT_CONFIG, JsonFormat.CONTENT_TYPE);
        }
        return new KafkaProducer<>(config);
    }

    private static io.cloudevents.CloudEvent sdkEvent() throws Exception {
        return CloudEventBuilder.v1().withId("order-43").withSource(URI.create("urn:example:shop"))
                .withType("com.example.order.placed").withTime(TIME).withSubject("orders/43")
                .withDataSchema(URI.create("https://example.com/schemas/order.json"))
                .withExtension("comment", "crème brûlée, \"10%\" ✓").withExtension("count", 7).withExtension("urgent", true)
                .withDataContentType("application/json").withData(JSON.writeValueAsBytes(new Order("sku-9", 3))).build();
    }

    @ParameterizedTest
    @EnumSource(CloudEventMode.class)
    @DisplayName("a plain KafkaConsumer with the SDK's CloudEventDeserializer reads what Omnibus published")
    void sdkReadsOmnibus(CloudEventMode mode) throws Exception {
        EventBus bus = bus();
        assertThat(bus.cloudEventBinding()).isEqualTo(CloudEventBinding.of("ce_", Headers.CONTENT_TYPE, false));
        String topic = topic("out." + mode.name().toLowerCase());
        CloudEventAttributes a = CloudEventAttributes.builder().id("order-42").source("/shop/orders")
                .type("com.example.order.placed").time(TIME).subject("orders/42")
                .dataSchema("https://example.com/schemas/order.json").extension("comment", "café au lait, \"50%\" ✓")
                .extension("count", "42").build();
        bus.publishCloudEvent(topic, a, new Order("sku-1", 2), mode);
        ConsumerRecord<String, io.cloudevents.CloudEvent> r;
        try (KafkaConsumer<String, io.cloudevents.CloudEvent> c = consumer(topic, CloudEventDeserializer.class)) {
            r = next(c);
        }
        Map<String, String> headers = headersOf(r);
        if (mode == CloudEventMode.BINARY) {
            assertThat(headers).containsEntry("content-type", "application/json").containsEntry("ce_specversion", "1.0")
                    .containsEntry("ce_id", "order-42").containsEntry("ce_source", "/shop/orders")
                    .containsEntry("ce_time", "2026-04-05T17:31:00.123Z")
                    .containsEntry("ce_comment", "café au lait, \"50%\" ✓").doesNotContainKey("ce_datacontenttype");
        } else {
            assertThat(headers).containsEntry("content-type", "application/cloudevents+json")
                    .doesNotContainKeys("ce_specversion", "ce_id");
        }
        io.cloudevents.CloudEvent e = r.value();
        assertThat(e.getSpecVersion()).isEqualTo(SpecVersion.V1);
        assertThat(e.getId()).isEqualTo("order-42");
        assertThat(e.getSource()).isEqualTo(URI.create("/shop/orders"));
        assertThat(e.getType()).isEqualTo("com.example.order.placed");
        assertThat(e.getTime()).isEqualTo(TIME);
        assertThat(e.getSubject()).isEqualTo("orders/42");
        assertThat(e.getDataSchema()).isEqualTo(URI.create("https://example.com/schemas/order.json"));
        assertThat(e.getDataContentType()).isEqualTo("application/json");
        assertThat(e.getExtension("comment")).isEqualTo("café au lait, \"50%\" ✓");
        assertThat(String.valueOf(e.getExtension("count"))).isEqualTo("42");
        assertThat(JSON.readValue(e.getData().toBytes(), Order.class)).isEqualTo(new Order("sku-1", 2));
    }

    @ParameterizedTest
    @EnumSource(CloudEventMode.class)
    @DisplayName("Omnibus reads, typed, what a plain KafkaProducer with the SDK's CloudEventSerializer sent")
    void omnibusReadsSdk(CloudEventMode mode) throws Exception {
        EventBus bus = bus();
        String topic = topic("in." + mode.name().toLowerCase());
        List<CloudEvent<Order>> got = new CopyOnWriteArrayList<>();
        bus.subscribeCloudEvents(topic, Order.class, (e, d) -> got.add(e));
        try (KafkaProducer<String, io.cloudevents.CloudEvent> p = sdkProducer(mode)) {
            p.send(new ProducerRecord<>(topic, "order-43", sdkEvent())).get(20, TimeUnit.SECONDS);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> got.size() == 1);
        CloudEventAttributes a = got.get(0).attributes();
        assertThat(a.specVersion()).isEqualTo("1.0");
        assertThat(a.id()).isEqualTo("order-43");
        assertThat(a.source()).isEqualTo(URI.create("urn:example:shop"));
        assertThat(a.type()).isEqualTo("com.example.order.placed");
        assertThat(a.time()).contains(TIME);
        assertThat(a.subject()).contains("orders/43");
        assertThat(a.dataSchema()).contains(URI.create("https://example.com/schemas/order.json"));
        assertThat(a.dataContentType()).contains("application/json");
        assertThat(a.extensions()).containsEntry("comment", "crème brûlée, \"10%\" ✓").containsEntry("count", "7")
                .containsEntry("urgent", "true");
        assertThat(got.get(0).data()).isEqualTo(new Order("sku-9", 3));
    }

    @ParameterizedTest
    @EnumSource(CloudEventMode.class)
    @DisplayName("an SDK event of specversion 0.3 is dead-lettered with the reason; the next (1.0) one is delivered")
    void poison(CloudEventMode mode) throws Exception {
        EventBus bus = bus();
        String topic = topic("poison." + mode.name().toLowerCase());
        String dlq = topic + ".dlq";
        try (Admin admin = KafkaTestSupport.admin()) {
            // made first so that a plain consumer can be assigned to it before anything is dead-lettered
            admin.createTopics(List.of(new NewTopic(dlq, Optional.of(1), Optional.empty()))).all().get(30, TimeUnit.SECONDS);
        }
        List<CloudEvent<Order>> got = new CopyOnWriteArrayList<>();
        bus.subscribeCloudEvents(topic, Order.class, (e, d) -> got.add(e),
                SubscribeOptions.builder().deadLetterTopic(dlq).build());
        byte[] data = JSON.writeValueAsBytes(new Order("ok", 1));
        io.cloudevents.CloudEvent old = CloudEventBuilder.v03().withId("0").withSource(URI.create("/s")).withType("t")
                .withDataContentType("application/json").withData(data).build();
        io.cloudevents.CloudEvent good = CloudEventBuilder.v1().withId("1").withSource(URI.create("/s")).withType("t")
                .withDataContentType("application/json").withData(data).build();
        ProducerRecord<Void, byte[]> bad = mode == CloudEventMode.BINARY
                ? KafkaMessageFactory.createWriter(topic).writeBinary(old)
                : KafkaMessageFactory.createWriter(topic).writeStructured(old, JsonFormat.CONTENT_TYPE);
        try (KafkaProducer<Void, byte[]> p = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestSupport.bootstrap(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, VoidSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
            p.send(bad).get(20, TimeUnit.SECONDS);
        }
        try (KafkaProducer<String, io.cloudevents.CloudEvent> p = sdkProducer(mode)) {
            p.send(new ProducerRecord<>(topic, good)).get(20, TimeUnit.SECONDS);
        }
        ConsumerRecord<String, byte[]> dead;
        try (KafkaConsumer<String, byte[]> c = consumer(dlq, ByteArrayDeserializer.class)) {
            dead = next(c);
        }
        assertThat(headersOf(dead).get(Headers.DEAD_LETTER_REASON)).contains("specversion must be '1.0', got '0.3'");
        assertThat(dead.value()).as("the record as it came").isEqualTo(bad.value());
        await().atMost(Duration.ofSeconds(20)).until(() -> got.size() == 1);
        assertThat(got.get(0).attributes().id()).isEqualTo("1");
        assertThat(got.get(0).data()).isEqualTo(new Order("ok", 1));
    }
}
