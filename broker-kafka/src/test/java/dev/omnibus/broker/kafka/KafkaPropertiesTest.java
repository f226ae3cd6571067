package dev.omnibus.broker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.tck.PropertiesReadme;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The declared Kafka properties and URL forms; no cluster needed. */
@DisplayName("Kafka backend properties and URLs")
class KafkaPropertiesTest {
    @Test
    @DisplayName("defaults, as the README says")
    void defaults() {
        KafkaSettings s = KafkaSettings.from(BrokerOptions.of("kafka://h1:9092,kafka://h2"));
        assertThat(s.bootstrapServers()).isEqualTo("h1:9092,h2:9092");
        assertThat(s.securityProtocol()).isEqualTo("PLAINTEXT");
        assertThat(s.partitions()).isEqualTo(3);
        assertThat(s.replicationFactor()).isEqualTo((short) -1);
        assertThat(s.prefix()).isEqualTo("omnibus");
        assertThat(s.metadataMaxAge()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.maxMessageBytes()).isEqualTo(1024 * 1024);
        assertThat(s.keyHeader()).isNull();
        assertThat(s.clientMetrics()).isEqualTo(KafkaSettings.ClientMetrics.JMX);
    }

    @Test
    @DisplayName("clientMetrics picks kafka-clients' reporters and metrics push for the producer, consumers and admin client")
    void clientMetrics() {
        for (String[] c : new String[][] {{"", "org.apache.kafka.common.metrics.JmxReporter", "false"},
                {"?clientMetrics=both", "org.apache.kafka.common.metrics.JmxReporter", "true"}, {"?clientMetrics=push", "", "true"},
                {"?clientMetrics=none", "", "false"}}) {
            BrokerOptions o = BrokerOptions.of("kafka://h1:9092" + c[0]);
            ClientConfigs configs = new ClientConfigs(KafkaSettings.from(o), o);
            for (java.util.Map<String, Object> m : java.util.List.of(configs.producer(), configs.admin(),
                    configs.assignedConsumer("broadcast", 10), configs.groupConsumer("g", "m", 10))) {
                assertThat(m).as(c[0]).containsEntry("metric.reporters", c[1]).containsEntry("enable.metrics.push", Boolean.valueOf(c[2]));
            }
        }
        assertThatThrownBy(() -> Brokers.create("kafka://h:9092?clientMetrics=prometheus"))
                .hasMessageContaining("property 'clientMetrics'").hasMessageContaining("jmx, push, both, none");
    }

    @Test
    @DisplayName("kafka+ssl:// is TLS; credentials in the URL or the options mean SASL, and the password shows nowhere")
    void tlsAndSasl() {
        KafkaSettings s = KafkaSettings.from(BrokerOptions.of("kafka+ssl://alice:s%40cret@k1:9093?saslMechanism=scram-sha-512"));
        assertThat(s.securityProtocol()).isEqualTo("SASL_SSL");
        assertThat(s.saslMechanism()).isEqualTo("SCRAM-SHA-512");
        assertThat(s.username()).isEqualTo("alice");
        assertThat(s.password()).isEqualTo("s@cret");
        assertThat(s.jaasConfig()).contains("ScramLoginModule").contains("username=\"alice\"");
        assertThat(s.toString()).doesNotContain("cret");
        KafkaSettings o = KafkaSettings.from(BrokerOptions.builder().url("kafka://k1").credentials("bob", "pw").build());
        assertThat(o.securityProtocol()).isEqualTo("SASL_PLAINTEXT");
        assertThat(o.jaasConfig()).contains("PlainLoginModule");
        Broker b = Brokers.create("kafka+ssl://alice:s3cret@k1:9093");
        assertThat(b.address() + b).doesNotContain("s3cret");
    }

    @Test
    @DisplayName("ORDERED_DELIVERY is declared with partitions=1 only; the other eight always")
    void capabilities() {
        assertThat(Brokers.create("kafka://h:9092").capabilities()).hasSize(8).doesNotContain(Capability.ORDERED_DELIVERY);
        assertThat(Brokers.create("kafka://h:9092?partitions=1").capabilities()).containsExactlyInAnyOrder(Capability.values());
    }

    @Test
    @DisplayName("a misspelt property, a bad value or a foreign scheme fails at create")
    void badInput() {
        assertThatThrownBy(() -> Brokers.create("kafka://h:9092?partition=2")).hasMessageContaining("unknown property 'partition'")
                .hasMessageContaining("did you mean 'partitions'?");
        assertThatThrownBy(() -> Brokers.create("kafka://h:9092?replicationFactor=0"))
                .hasMessageContaining("property 'replicationFactor' must be -1 (the cluster's default) or at least 1");
        assertThatThrownBy(() -> Brokers.create("kafka://h:9092?prefix=a.b")).hasMessageContaining("property 'prefix'");
        assertThatThrownBy(() -> KafkaSettings.from(BrokerOptions.builder().urls(java.util.List.of("kafka://a", "kafka+ssl://b")).build()))
                .hasMessageContaining("mixed kafka:// and kafka+ssl://");
    }

    @Test
    @DisplayName("topic names Kafka cannot hold fail with the rule; patterns become the kit's token semantics")
    void names() {
        assertThatThrownBy(() -> KafkaNames.checkTopic("orders.ünïcode")).hasMessageContaining("[a-zA-Z0-9._-]");
        assertThatThrownBy(() -> KafkaNames.checkTopic("orders/eu")).hasMessageContaining("[a-zA-Z0-9._-]");
        KafkaNames.checkTopic("Orders.v2_eu-west.0-9Zz");
        KafkaNames.checkTopic("x".repeat(249));
        assertThatThrownBy(() -> KafkaNames.checkTopic("a." + "x".repeat(250))).hasMessageContaining("249");
        assertThat(KafkaNames.regex("a.*.c").matcher("a.b.c").matches()).isTrue();
        assertThat(KafkaNames.regex("a.*.c").matcher("a.b.d.c").matches()).isFalse();
        assertThat(KafkaNames.regex("a.>").matcher("a.b.c").matches()).isTrue();
        assertThat(KafkaNames.regex("a.>").matcher("a").matches()).isFalse();
        assertThat(KafkaNames.regex("a-b.*").matcher("a-b.x").matches()).isTrue();
        assertThat(KafkaNames.replyTopic("omnibus", "node-1")).isEqualTo("omnibus.reply.node-1");
        assertThat(KafkaNames.replyTopic("omnibus", "node:1")).matches("omnibus\\.reply\\.node_1-[0-9a-f]{12}");
    }

    @Test
    @DisplayName("broker-kafka/README.md's properties table is generated from the declarations")
    void readme() {
        PropertiesReadme.assertUpToDate(Path.of("README.md"), KafkaSettings.PROPERTIES, KafkaPropertiesTest.class);
    }
}
