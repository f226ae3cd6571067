package dev.omnibus.broker.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.tck.BrokerServers;
import dev.omnibus.broker.tck.Inbox;
import dev.omnibus.broker.tck.LocalNatsServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Three nats-server processes routed into one cluster; clients on different nodes, and a node going away. */
class NatsClusterTest {
    private final List<LocalNatsServer> nodes = new ArrayList<>();
    private final List<Broker> brokers = new ArrayList<>();

    @AfterEach
    void tearDown() {
        brokers.forEach(Broker::disconnect);
        nodes.forEach(LocalNatsServer::close);
    }

    private Broker client(LocalNatsServer node, String id) {
        Broker b = Brokers.create(BrokerOptions.builder().url(node.url() + "?reconnectWait=PT0.2S").nodeId(id)
                .publishTimeout(Duration.ofSeconds(20)).build());
        brokers.add(b);
        b.connect();
        return b;
    }

    @Test
    @DisplayName("clients on different nodes of a 3-node cluster exchange messages; when a client's node stops it carries on through another with its subscriptions intact")
    void clusterSurvivesANode() {
        Assumptions.assumeTrue(BrokerServers.natsServerBinaryAvailable(), "nats-server is not installed; the fixture cannot start a cluster");
        nodes.addAll(BrokerServers.natsCluster(3));
        Broker a = client(nodes.get(0), "a");
        Broker b = client(nodes.get(1), "b");
        Broker c = client(nodes.get(2), "c");
        String topic = "cluster.test." + Message.newId().substring(0, 8);
        Inbox atA = new Inbox();
        Inbox groupAtA = new Inbox();
        Inbox atC = new Inbox();
        a.subscribe(topic, atA);
        a.subscribe(topic, groupAtA, SubscribeOptions.builder().queue("workers").build());
        c.subscribe(topic, atC);
        // routes form asynchronously: publish probes until one crosses from node 2 to nodes 1 and 3
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
            b.publish(topic, Message.of("probe"));
            return atA.count() > 0 && atC.count() > 0;
        });
        List<String> before = publish(b, topic, "before-", 50);
        atA.awaitIds(before, Duration.ofSeconds(20));
        atC.awaitIds(before, Duration.ofSeconds(20));

        nodes.get(0).stop();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(a::isConnected);
        List<String> after = publish(b, topic, "after-", 50);
        List<String> fromA = publish(a, topic, "from-a-", 20);
        atA.awaitIds(after, Duration.ofSeconds(30));
        Inbox.awaitIds(after, groupAtA::ids, Duration.ofSeconds(30));
        atC.awaitIds(fromA, Duration.ofSeconds(30));
        atC.awaitIds(after, Duration.ofSeconds(30));
        System.out.println("[omnibus-kit] NatsClusterTest (nats) | node of a client stopped | sent " + (before.size() + after.size() + fromA.size())
                + ", all received by the subscriptions of the moved client and of a third node");
        assertThat(a.isConnected()).isTrue();
    }

    private static List<String> publish(Broker broker, String topic, String prefix, int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Message m = Message.of(prefix + i);
            broker.publish(topic, m);
            ids.add(m.id());
        }
        return ids;
    }
}
