package dev.omnibus.broker.kafka;

import dev.omnibus.broker.BrokerOptions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.metrics.JmxReporter;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** The kafka-clients configurations of the producer, the consumers and the admin client, from one place. */
final class ClientConfigs {
    private final KafkaSettings settings;
    private final BrokerOptions options;

    ClientConfigs(KafkaSettings settings, BrokerOptions options) {
        this.settings = settings;
        this.options = options;
    }

    private Map<String, Object> common(String role) {
        Map<String, Object> c = new HashMap<>();
        c.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        c.put(CommonClientConfigs.CLIENT_ID_CONFIG, "omnibus-" + options.nodeId() + "-" + role);
        c.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, settings.securityProtocol());
        c.put(CommonClientConfigs.RECONNECT_BACKOFF_MS_CONFIG, 100);
        c.put(CommonClientConfigs.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
        c.put(CommonClientConfigs.METADATA_MAX_AGE_CONFIG, (int) settings.metadataMaxAge().toMillis());
        // the JMX reporter is kafka-clients' default reporter; an empty list registers no MBeans
        c.put(CommonClientConfigs.METRIC_REPORTER_CLASSES_CONFIG, settings.clientMetrics().jmx() ? JmxReporter.class.getName() : "");
        c.put(CommonClientConfigs.ENABLE_METRICS_PUSH_CONFIG, settings.clientMetrics().push());
        if (settings.username() != null) {
            c.put(SaslConfigs.SASL_MECHANISM, settings.saslMechanism());
            c.put(SaslConfigs.SASL_JAAS_CONFIG, settings.jaasConfig());
        }
        return c;
    }

    Map<String, Object> producer() {
        Map<String, Object> c = common("producer");
        int timeout = millis(options.publishTimeout());
        int linger = millis(settings.linger());
        c.put(ProducerConfig.ACKS_CONFIG, "all");
        c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        c.put(ProducerConfig.LINGER_MS_CONFIG, linger);
        // publishTimeout bounds both the wait for metadata or buffer space and the wait for the acknowledgement
        c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout);
        c.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.max(1, Math.min(30_000, timeout - linger)));
        c.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Math.max(timeout, linger + Math.max(1, Math.min(30_000, timeout - linger))));
        c.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, settings.maxMessageBytes());
        c.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        c.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return c;
    }

    /** A consumer of queue group {@code groupId}: manual commits, cooperative rebalancing. */
    Map<String, Object> groupConsumer(String groupId, String name, int maxPollRecords) {
        Map<String, Object> c = consumer("group-" + name, maxPollRecords);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        c.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, millis(settings.sessionTimeout()));
        c.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, millis(settings.heartbeatInterval()));
        c.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 60_000);
        return c;
    }

    /** A consumer without a group, of manually assigned partitions (broadcast, replies). */
    Map<String, Object> assignedConsumer(String role, int maxPollRecords) {
        Map<String, Object> c = consumer(role, maxPollRecords);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        return c;
    }

    private Map<String, Object> consumer(String role, int maxPollRecords) {
        Map<String, Object> c = common(role);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(1, maxPollRecords));
        c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return c;
    }

    Map<String, Object> admin() {
        Map<String, Object> c = common("admin");
        int timeout = millis(options.connectTimeout().compareTo(options.publishTimeout()) > 0
                ? options.connectTimeout() : options.publishTimeout());
        c.put(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, timeout);
        c.put(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, timeout);
        return c;
    }

    static int millis(Duration d) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(0, d.toMillis()));
    }
}
