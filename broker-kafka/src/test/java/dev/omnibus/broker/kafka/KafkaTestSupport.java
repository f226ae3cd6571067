package dev.omnibus.broker.kafka;

import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.tck.BrokerServer;
import dev.omnibus.broker.tck.LocalKafkaServer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/** The tests' Kafka: {@link LocalKafkaServer#fromEnvironment()}, and options tuned for quick rebalances. */
final class KafkaTestSupport {
    private KafkaTestSupport() {
    }

    static BrokerServer server() {
        return LocalKafkaServer.fromEnvironment();
    }

    static String bootstrap() {
        return server().url().replaceFirst("^kafka(\\+ssl)?://", "");
    }

    static BrokerOptions options(String nodeId) {
        return BrokerOptions.builder()
                .url(server().url())
                .nodeId(nodeId)
                .connectTimeout(Duration.ofSeconds(5))
                .publishTimeout(Duration.ofSeconds(10))
                .shutdownTimeout(Duration.ofSeconds(5))
                .property("sessionTimeout", "6000")
                .property("heartbeatInterval", "300")
                .property("metadataMaxAge", "1000")
                .build();
    }

    static Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()));
    }

    /** Topics plus consumer groups of the cluster. */
    static long resourceCount() {
        try (Admin admin = admin()) {
            return admin.listTopics().names().get(30, TimeUnit.SECONDS).size()
                    + admin.listConsumerGroups().all().get(30, TimeUnit.SECONDS).size();
        } catch (Exception e) {
            throw new IllegalStateException("cannot count the topics and groups of " + bootstrap() + ": " + e, e);
        }
    }
}
