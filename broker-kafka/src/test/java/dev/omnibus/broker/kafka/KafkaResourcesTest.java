package dev.omnibus.broker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Subscription;
import dev.omnibus.broker.tck.Inbox;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What the backend leaves in the cluster (broker-kafka/README.md, "Everything the backend creates"):
 * consumer groups grow with queue groups, never with subscriptions made and dropped, and a node's
 * broadcast subscriptions use no consumer group at all.
 */
@DisplayName("Kafka resources: consumer groups grow with queue groups, not with subscriptions")
class KafkaResourcesTest {
    private final String token = Long.toString(System.nanoTime(), 36);
    private final String topic = "res.t" + token;
    private final Broker broker = Brokers.create(KafkaTestSupport.options("res-" + token));

    @AfterEach
    void cleanUp() throws Exception {
        broker.disconnect();
        try (Admin admin = KafkaTestSupport.admin()) {
            List<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                    .filter(t -> t.contains(token)).toList();
            admin.deleteTopics(topics).all().get(30, TimeUnit.SECONDS);
            List<String> groups = groups(admin).stream().filter(g -> g.contains(token)).toList();
            if (!groups.isEmpty()) {
                admin.deleteConsumerGroups(groups).all().get(30, TimeUnit.SECONDS);
            }
        }
    }

    private static Set<String> groups(Admin admin) throws Exception {
        return admin.listConsumerGroups().all().get(30, TimeUnit.SECONDS).stream().map(ConsumerGroupListing::groupId)
                .collect(Collectors.toSet());
    }

    @Test
    @DisplayName("50 broadcast subscriptions made and dropped (literal and wildcard) create no consumer group; a new one replays nothing")
    void broadcastCreatesNoGroup() throws Exception {
        broker.connect();
        broker.publish(topic, Message.of("before"));
        try (Admin admin = KafkaTestSupport.admin()) {
            Set<String> before = groups(admin);
            for (int i = 0; i < 50; i++) {
                Subscription s = broker.subscribe(i % 2 == 0 ? topic : "res.*", e -> { });
                s.unsubscribe();
            }
            Inbox inbox = new Inbox();
            broker.subscribe(topic, inbox);
            broker.subscribe("res.>", inbox);
            broker.publish(topic, Message.of("after"));
            await().atMost(Duration.ofSeconds(20)).until(() -> inbox.count() >= 2);
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> inbox.count() == 2);
            assertThat(inbox.bodies()).as("only what was published after the subscriptions").containsExactly("after", "after");
            assertThat(groups(admin)).as("consumer groups after 50 broadcast subscriptions and two live ones").isEqualTo(before);
        }
    }

    @Test
    @DisplayName("a queue group made and dropped 20 times is one consumer group of a deterministic name; a non-durable one is deleted when its last member leaves")
    void queueGroupIsOneGroup() throws Exception {
        broker.connect();
        String durable = "keep" + token;
        String transientGroup = "drop" + token;
        try (Admin admin = KafkaTestSupport.admin()) {
            for (int i = 0; i < 20; i++) {
                broker.subscribe(topic, e -> { }, SubscribeOptions.builder().queue(durable).durable(true).build()).unsubscribe();
            }
            assertThat(groups(admin).stream().filter(g -> g.contains(token)))
                    .containsExactly(KafkaNames.queueGroup("omnibus", durable, topic));
            Subscription s = broker.subscribe(topic, e -> { }, SubscribeOptions.builder().queue(transientGroup).build());
            String name = KafkaNames.queueGroup("omnibus", transientGroup, topic);
            assertThat(groups(admin)).contains(name);
            s.unsubscribe();
            await().atMost(Duration.ofSeconds(20)).until(() -> !groups(admin).contains(name));
        }
    }
}
