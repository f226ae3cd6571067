package dev.omnibus.broker.tck;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A Kafka cluster of {@code size} KRaft nodes (each broker and controller, so a majority of the
 * quorum survives one node's death), each a {@link LocalKafkaServer} in a child JVM with ports and a
 * data directory of its own: replication factor {@code size} for every topic (internal ones too) and
 * {@code min.insync.replicas} {@code size - 1}, so {@code acks=all} keeps working with one node down.
 * {@link #node(int)} gives a node to {@code kill()} and {@code startAgain()}; {@link #close()} kills
 * them all (and the fixture's reaper does at JVM exit). The Kafka broker jars must be on the test
 * classpath, as for {@link LocalKafkaServer}.
 */
public final class LocalKafkaCluster implements AutoCloseable {
    private final List<LocalKafkaServer> nodes;

    private LocalKafkaCluster(List<LocalKafkaServer> nodes) {
        this.nodes = nodes;
    }

    /** Starts a cluster of {@code size} nodes (3 or more for a quorum that survives a node) and returns once every node serves clients. */
    public static LocalKafkaCluster start(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("a cluster needs at least one node, not " + size);
        }
        if (!LocalKafkaServer.available()) {
            throw new IllegalStateException("the Kafka broker classes are not on the test classpath; add org.apache.kafka:kafka_2.13"
                    + " and org.apache.kafka:kafka-server in test scope");
        }
        List<LocalKafkaServer> nodes = new ArrayList<>();
        try {
            String heap = System.getProperty("omnibus.kafka.clusterHeap", "384m");
            for (int id = 1; id <= size; id++) {
                nodes.add(LocalKafkaServer.unstarted(id, heap));
            }
            String voters = nodes.stream().map(LocalKafkaServer::voter).collect(Collectors.joining(","));
            String clusterId = LocalKafkaServer.newClusterId();
            Map<String, String> p = new LinkedHashMap<>();
            String rf = Integer.toString(size);
            String minIsr = Integer.toString(Math.max(1, size - 1));
            p.put("default.replication.factor", rf);
            p.put("min.insync.replicas", minIsr);
            p.put("offsets.topic.replication.factor", rf);
            p.put("transaction.state.log.replication.factor", rf);
            p.put("transaction.state.log.min.isr", minIsr);
            p.put("share.coordinator.state.topic.replication.factor", rf);
            p.put("share.coordinator.state.topic.min.isr", minIsr);
            p.put("replica.lag.time.max.ms", "10000");
            for (LocalKafkaServer n : nodes) {
                n.prepare(voters, clusterId, p);
            }
            // all at once: a node becomes ready only once a majority of the quorum runs
            for (LocalKafkaServer n : nodes) {
                n.spawn();
            }
            for (LocalKafkaServer n : nodes) {
                n.awaitReady();
            }
            return new LocalKafkaCluster(List.copyOf(nodes));
        } catch (IOException | RuntimeException e) {
            nodes.forEach(LocalKafkaServer::close);
            throw e instanceof IOException io ? new UncheckedIOException("cannot start a " + size + "-node Kafka cluster: " + io.getMessage(), io)
                    : (RuntimeException) e;
        }
    }

    /** {@code kafka://127.0.0.1:p1,kafka://127.0.0.1:p2,...}: every node's plain listener, one URL each. */
    public String url() {
        return nodes.stream().map(LocalKafkaServer::url).collect(Collectors.joining(","));
    }

    /** {@code 127.0.0.1:p1,127.0.0.1:p2,...}, for plain kafka-clients. */
    public String bootstrap() {
        return nodes.stream().map(n -> "127.0.0.1:" + n.port()).collect(Collectors.joining(","));
    }

    /** The node whose {@code node.id} (the broker id Admin reports as a partition's leader) is {@code id}. */
    public LocalKafkaServer node(int id) {
        return nodes.stream().filter(n -> n.nodeId() == id).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node " + id + " in " + this));
    }

    public List<LocalKafkaServer> nodes() {
        return nodes;
    }

    public String description() {
        return nodes.size() + "-node KRaft cluster (child JVMs) at " + bootstrap();
    }

    /** Kills every node and deletes their data. */
    @Override
    public void close() {
        nodes.forEach(LocalKafkaServer::close);
    }

    @Override
    public String toString() {
        return description();
    }
}
