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
        return bootstrap(server());
    }

    static BrokerOptions options(String nodeId) {
        return options(server(), nodeId);
    }

    /** Options for a broker of {@code server} (the local broker, or a container). */
    static BrokerOptions options(BrokerServer server, String nodeId) {
        return BrokerOptions.builder()
                .url(server.url())
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
        return admin(server());
    }

    static Admin admin(BrokerServer server) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(server)));
    }

    private static String bootstrap(BrokerServer server) {
        return server.url().replaceFirst("^kafka(\\+ssl)?://", "");
    }

    /** Topics plus consumer groups of the cluster. */
    static long resourceCount() {
        return resourceCount(server());
    }

    /** Topics plus consumer groups of {@code server}'s cluster. */
    static long resourceCount(BrokerServer server) {
        try (Admin admin = admin(server)) {
            return admin.listTopics().names().get(30, TimeUnit.SECONDS).size()
                    + admin.listConsumerGroups().all().get(30, TimeUnit.SECONDS).size();
        } catch (Exception e) {
            throw new IllegalStateException("cannot count the topics and groups of " + bootstrap(server) + ": " + e, e);
        }
    }
}
