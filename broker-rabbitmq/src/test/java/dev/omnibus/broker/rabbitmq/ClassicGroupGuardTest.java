package dev.omnibus.broker.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.PublishException;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.tck.Inbox;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The guard exchange of a durable classic group queue, on the single shared server: a message reaches
 * the queue once although two routes lead there; while the queue is gone (here deleted, on a cluster
 * its node down: {@link ClassicQueueNodeDownTest}) a publish to its topic fails with the nack instead
 * of being confirmed and dropped, and works again once a member has declared the queue again.
 */
class ClassicGroupGuardTest {
    private final String exchange = "omnibus-test-" + Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffffL, 36);
    private final List<Broker> brokers = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        brokers.forEach(Broker::disconnect);
        List<String> exchanges = new ArrayList<>(List.of(exchange, StaticTopology.unavailableExchangeName(exchange)));
        RabbitCtl.exchanges().stream().filter(x -> x.startsWith(exchange + ".guard.")).forEach(exchanges::add);
        RabbitCtl.delete(RabbitCtl.queuesStartingWith(exchange + "."), exchanges);
    }

    @Test
    @DisplayName("a durable classic group gets each message once; its queue gone, publishes fail loudly until a member declares it again")
    void guardedClassicGroup() throws Exception {
        Broker member = connect("member", "classic");
        Broker watcher = connect("watcher", "classic");
        Broker publisher = connect("publisher", "quorum");
        Inbox group = new Inbox();
        Inbox broadcast = new Inbox();
        String topic = "guarded.orders";
        member.subscribe(topic, group, SubscribeOptions.builder().queue("billing").durable(true).build());
        watcher.subscribe(topic, broadcast);
        String guard = StaticTopology.guardExchangeName(exchange, "billing", topic);
        assertThat(RabbitCtl.exchanges()).contains(guard, StaticTopology.unavailableExchangeName(exchange));

        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            Message m = Message.of("m" + i);
            publisher.publish(topic, m);
            ids.add(m.id());
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> group.ids().containsAll(ids) && broadcast.ids().containsAll(ids));
        assertThat(group.ids()).as("once per message, though the topic exchange and the guard both lead to the queue")
                .hasSize(50).doesNotHaveDuplicates();

        // a topic nobody subscribes to is still fine
        publisher.publish("guarded.nobody", Message.of("into the void"));

        String queue = StaticTopology.groupQueueName(exchange, "billing", topic);
        RabbitCtl.delete(List.of(queue), List.of());
        assertThatThrownBy(() -> publisher.publish(topic, Message.of("while the queue is gone")))
                .isInstanceOf(PublishException.class).hasMessageContaining("'" + topic + "'").hasMessageContaining("basic.nack")
                .hasMessageContaining("queueType=quorum").hasMessageContaining(StaticTopology.unavailableExchangeName(exchange)).hasMessageNotContaining("guest:guest");

        // the member was cancelled and declares queue, bindings and guard again; then publishes go through again
        Message back = Message.of("after the member came back");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreException(PublishException.class)
                .until(() -> {
                    publisher.publish(topic, back);
                    return true;
                });
        await().atMost(Duration.ofSeconds(20)).until(() -> group.ids().contains(back.id()));
    }

    @Test
    @DisplayName("after a connection recovery the node's own sentinel queue still nacks: one broker, alone on the server")
    void sentinelComesBackWithTheConnection() throws Exception {
        Broker b = connect("alone", "classic");
        Inbox group = new Inbox();
        String topic = "guarded.recovered";
        b.subscribe(topic, group, SubscribeOptions.builder().queue("solo").durable(true).build());
        RabbitCtl.closeConnectionOf(b.options().nodeId());
        // waits for the recovery, then goes through
        Message during = Message.of("during");
        b.publish(topic, during);
        await().atMost(Duration.ofSeconds(20)).until(() -> group.ids().contains(during.id()));
        assertThat(RabbitCtl.queues()).contains(StaticTopology.sentinelQueueName(exchange, "alone"));

        RabbitCtl.delete(List.of(StaticTopology.groupQueueName(exchange, "solo", topic)), List.of());
        // the only sentinel is this broker's own, declared and bound again by the recovery
        assertThatThrownBy(() -> b.publish(topic, Message.of("while the queue is gone")))
                .isInstanceOf(PublishException.class).hasMessageContaining("basic.nack");
    }

    @Test
    @DisplayName("quorum durable groups and non-durable groups get no guard")
    void noGuardForQuorumOrNonDurable() {
        Broker b = connect("plain", "quorum");
        b.subscribe("plain.q", e -> { }, SubscribeOptions.builder().queue("replicated").durable(true).build());
        Broker c = connect("transient", "classic");
        c.subscribe("plain.t", e -> { }, SubscribeOptions.builder().queue("passing").build());
        assertThat(RabbitCtl.exchanges()).noneMatch(x -> x.startsWith(exchange + ".guard."));
    }

    private Broker connect(String node, String queueType) {
        Broker b = Brokers.create(RabbitMqBrokerCompatibilityTest.options(node).toBuilder()
                .property("exchange", exchange).property("queueType", queueType).build());
        brokers.add(b);
        b.connect();
        return b;
    }
}
