package dev.omnibus.broker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.tck.Inbox;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code clientMetrics} (broker-kafka/README.md): with the default {@code jmx} the producer and the
 * broadcast consumer register their metrics MBeans, per topic too; with {@code none} they register
 * none (kafka-clients' one {@code app-info} MBean per client, named by {@code id=}, stays).
 */
@DisplayName("Kafka clientMetrics: jmx registers kafka-clients' MBeans, none registers none")
class KafkaClientMetricsTest {
    private static final MBeanServer MBEANS = ManagementFactory.getPlatformMBeanServer();
    private final String token = Long.toString(System.nanoTime(), 36);
    private Broker broker;

    @AfterEach
    void cleanUp() throws Exception {
        if (broker != null) {
            broker.disconnect();
        }
        try (Admin admin = KafkaTestSupport.admin()) {
            List<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream().filter(t -> t.contains(token)).toList();
            admin.deleteTopics(topics).all().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    @DisplayName("default (jmx): producer, consumer and per-topic MBeans while connected, gone after disconnect")
    void jmxByDefault() throws Exception {
        String node = "jmx-" + token;
        String topic = "metrics.t" + token;
        broker = Brokers.create(KafkaTestSupport.options(node));
        roundTrip(topic);
        assertThat(names("kafka.producer:type=producer-metrics,client-id=omnibus-" + node + "-producer")).hasSize(1);
        assertThat(names("kafka.producer:type=producer-topic-metrics,client-id=omnibus-" + node + "-producer,topic=" + topic))
                .as("the producer's metrics of the topic it sent to").hasSize(1);
        assertThat(names("kafka.consumer:type=consumer-fetch-manager-metrics,client-id=omnibus-" + node + "-broadcast,*"))
                .as("the broadcast consumer's fetch metrics").isNotEmpty();
        broker.disconnect();
        broker = null;
        assertThat(names("kafka.*:client-id=omnibus-" + node + "-*,*")).as("MBeans after disconnect").isEmpty();
    }

    @Test
    @DisplayName("clientMetrics=none: the same traffic registers no metrics MBean of any of the broker's clients")
    void noneRegistersNothing() throws Exception {
        String node = "none-" + token;
        broker = Brokers.create(KafkaTestSupport.options(node).toBuilder().property("clientMetrics", "none").build());
        roundTrip("metrics.n" + token);
        assertThat(names("kafka.*:client-id=omnibus-" + node + "-*,*")).isEmpty();
        assertThat(names("kafka.*:*,client-id=omnibus-" + node + "-*")).isEmpty();
    }

    private void roundTrip(String topic) {
        broker.connect();
        Inbox inbox = new Inbox();
        broker.subscribe(topic, inbox);
        broker.publish(topic, Message.of("m"));
        await().atMost(Duration.ofSeconds(20)).until(() -> inbox.count() == 1);
    }

    private static Set<ObjectName> names(String pattern) throws Exception {
        return MBEANS.queryNames(new ObjectName(pattern), null);
    }
}
