package dev.omnibus.broker.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.tck.BrokerServers;
import dev.omnibus.broker.tck.LocalNatsServer;
import dev.omnibus.broker.tck.ReplicatedGroupFailover;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.StreamInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Kit behaviour 45 on a 3-node JetStream cluster of the kit's own
 * ({@link BrokerServers#natsJetStreamCluster(int)}), stream with {@code replicas=3}: the server that
 * leads the stream is killed mid-stream and started again.
 */
@Tag("cluster")
class NatsJetStreamClusterFaultTest {
    private final List<LocalNatsServer> nodes = new ArrayList<>();
    private final List<Broker> brokers = new ArrayList<>();
    private final String run = Message.newId().substring(0, 8);
    private final String stream = "omnibus_cluster_" + run;

    @AfterEach
    void tearDown() {
        brokers.forEach(Broker::disconnect);
        nodes.forEach(LocalNatsServer::close);
    }

    @Test
    @DisplayName("45. the server leading a durable group's R3 stream killed mid-stream and started again: every published message arrives")
    void streamLeaderKilled() throws Exception {
        Assumptions.assumeTrue(BrokerServers.natsServerBinaryAvailable(), "nats-server is not installed; no cluster to test");
        nodes.addAll(BrokerServers.natsJetStreamCluster(3));
        Duration publishTimeout = Duration.ofSeconds(15);
        List<String> urls = nodes.stream().map(LocalNatsServer::url).collect(Collectors.toList());
        ReplicatedGroupFailover.Cluster fixture = new ReplicatedGroupFailover.Cluster() {
            @Override
            public int size() {
                return nodes.size();
            }

            @Override
            public Broker client(String nodeId) {
                return connect(nodeId, urls, publishTimeout);
            }

            @Override
            public Broker pinnedClient(String nodeId, int node) {
                return connect(nodeId, List.of(urls.get(node - 1)), publishTimeout);
            }

            @Override
            public int leader() {
                String leader = streamInfo().getClusterInfo().getLeader();
                for (int i = 0; i < nodes.size(); i++) {
                    if (nodes.get(i).name().equals(leader)) {
                        return i + 1;
                    }
                }
                throw new IllegalStateException("stream " + stream + " is led by '" + leader + "', none of " + urls);
            }

            @Override
            public void kill(int node) {
                nodes.get(node - 1).kill();
            }

            @Override
            public void startAgain(int node) {
                nodes.get(node - 1).startAgain();
            }

            @Override
            public String describe(int node) {
                return nodes.get(node - 1).name();
            }
        };
        // the cluster elects its JetStream meta leader a little after the ports open: connect (which checks JetStream) once it has
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> fixture.client("probe").isConnected());
        Broker first = fixture.client("first");
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> first.publish("cluster." + run + ".warm",
                Message.of("warm")));
        assertThat(streamInfo().getConfiguration().getReplicas()).isEqualTo(3);
        ReplicatedGroupFailover.Result r = new ReplicatedGroupFailover("NatsJetStreamClusterFaultTest (nats, 3 servers, R3 stream)",
                fixture, publishTimeout, 20, 10_000).run("cluster." + run + ".group", "failover");
        assertThat(r.lost()).isZero();
    }

    private StreamInfo streamInfo() {
        for (LocalNatsServer n : nodes) {
            if (!n.isRunning()) {
                continue;
            }
            try (Connection raw = Nats.connect(new Options.Builder().server(n.url()).connectionTimeout(Duration.ofSeconds(5)).build())) {
                return raw.jetStreamManagement().getStreamInfo(stream);
            } catch (Exception e) {
                // ask the next server
            }
        }
        throw new IllegalStateException("no server of the cluster answers for stream " + stream);
    }

    private Broker connect(String nodeId, List<String> urls, Duration publishTimeout) {
        Broker b = Brokers.create(BrokerOptions.builder().urls(urls).nodeId(nodeId + "-" + run).publishTimeout(publishTimeout)
                .property("jetstream", "true").property("stream", stream).property("replicas", "3")
                .property("reconnectWait", "PT0.2S").build());
        brokers.add(b);
        b.connect();
        return b;
    }
}
