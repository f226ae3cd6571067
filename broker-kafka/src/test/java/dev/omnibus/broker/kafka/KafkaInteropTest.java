package dev.omnibus.broker.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Event;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.tck.Inbox;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Omnibus messages are plain Kafka records, both ways. */
@DisplayName("Kafka interoperability")
class KafkaInteropTest {
    private final String topic = "interop.t" + Long.toString(System.nanoTime(), 36);
    private final Broker broker = Brokers.create(KafkaTestSupport.options("interop-" + Long.toString(System.nanoTime(), 36)));

    @AfterEach
    void cleanUp() throws Exception {
        broker.disconnect();
        try (var admin = KafkaTestSupport.admin()) {
            admin.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    @DisplayName("a plain KafkaConsumer reads an Omnibus message: headers as UTF-8 record headers, body as the value")
    void plainConsumerReadsOmnibus() {
        broker.connect();
        Message m = Message.builder().body(new byte[] {0, 1, (byte) 255}).header("x-text", "héllo ✓").build();
        broker.publish(topic, m);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestSupport.bootstrap(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            ConsumerRecord<byte[], byte[]> got = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (got == null && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    got = r;
                }
            }
            assertThat(got).as("the record").isNotNull();
            assertThat(got.value()).containsExactly(0, 1, 255);
            assertThat(new String(got.headers().lastHeader("x-text").value(), StandardCharsets.UTF_8)).isEqualTo("héllo ✓");
            assertThat(new String(got.headers().lastHeader("id").value(), StandardCharsets.UTF_8)).isEqualTo(m.id());
            assertThat(new String(got.key(), StandardCharsets.UTF_8)).isEqualTo(m.id());
        }
    }

    @Test
    @DisplayName("an Omnibus subscriber reads a plain KafkaProducer's records, an id made up when the record has none")
    void omnibusReadsPlainProducer() throws Exception {
        broker.connect();
        Inbox inbox = new Inbox();
        broker.subscribe(topic, inbox);
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestSupport.bootstrap(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
            ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, null, "plain body".getBytes(StandardCharsets.UTF_8));
            r.headers().add("tenant", "acme".getBytes(StandardCharsets.UTF_8));
            r.headers().add("bad", "a\u0001b".getBytes(StandardCharsets.UTF_8));
            p.send(r).get(20, TimeUnit.SECONDS);
        }
        inbox.awaitCount(1, Duration.ofSeconds(20));
        Event e = inbox.events().get(0);
        assertThat(e.message().bodyAsString()).isEqualTo("plain body");
        assertThat(e.message().header("tenant")).isEqualTo("acme");
        assertThat(e.message().header("bad")).as("a header Omnibus cannot carry is dropped").isNull();
        assertThat(e.message().id()).isNotBlank();
        assertThat(e.topic()).isEqualTo(topic);
    }
}
