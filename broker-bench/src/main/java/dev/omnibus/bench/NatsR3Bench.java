package dev.omnibus.bench;

import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.tck.BrokerServers;
import dev.omnibus.broker.tck.LocalNatsServer;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --backend nats-r3}: JetStream on a stream with three replicas beside the same on one
 * replica, on a JetStream cluster of three private {@code nats-server} processes the bench starts
 * ({@link BrokerServers#natsJetStreamCluster(int)}) and stops on close. Rows: Omnibus on an R3
 * stream; raw jnats on an R3 stream (the reference); Omnibus on an R1 stream of the same cluster
 * (the baseline: its ratio is what the two extra replicas cost).
 *
 * <p>Placement is made alike for every row: the bench creates each stream (as the backend would:
 * file, {@code limits}, 7 days) and connects the row's clients to the server leading it, so no row
 * pays an extra route hop that another does not. Each row deletes its stream when it closes.
 */
final class NatsR3Bench implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NatsR3Bench.class);
    private static final int WINDOW = 1000;

    private final List<LocalNatsServer> nodes;

    private NatsR3Bench(List<LocalNatsServer> nodes) {
        this.nodes = nodes;
    }

    /** Starts the three-server JetStream cluster. */
    static NatsR3Bench start() {
        System.err.println("bench: starting a JetStream cluster of 3 private nats-server processes...");
        List<LocalNatsServer> nodes = BrokerServers.natsJetStreamCluster(3);
        nodes.forEach(n -> System.err.println("bench: " + n.description()));
        return new NatsR3Bench(nodes);
    }

    List<Result> run(Harness h, int size, int count) throws Exception {
        SubscribeOptions group = SubscribeOptions.builder().queue("bench").durable(true).prefetch(10_000).build();
        List<Result> r = new ArrayList<>();
        r.addAll(h.run("nats JetStream R3 async->durable", size, count, List.<Supplier<Workload>>of(
                () -> omnibus("omnibus nats JetStream R3", 3, group),
                () -> new NatsReferences.JetStreamPubSub(firstUrl(), WINDOW, 3, this::urlOf),
                () -> omnibus("omnibus nats JetStream R1", 1, group).asBaseline())));
        return r;
    }

    /** Omnibus on a stream of its own with {@code replicas}, connected to the server leading it; deletes the stream on close. */
    private OmnibusWorkload omnibus(String name, int replicas, SubscribeOptions group) {
        String token = Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffL, 36);
        String stream = "bench-omnibus-r" + replicas + "-" + token;
        String root = "benchr" + replicas + token; // streams' subjects must not overlap
        String leader;
        try (Connection admin = Nats.connect(firstUrl())) {
            leader = NatsReferences.addStream(admin.jetStreamManagement(), stream, List.of(root, root + ".>"), replicas);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create bench stream " + stream + ": " + e, e);
        }
        System.err.println("bench: " + name + ": stream " + stream + " led by " + leader);
        String url = urlOf(leader) + "?jetstream=true&stream=" + stream + "&replicas=" + replicas;
        return new OmnibusWorkload(name, url, 1, group, WINDOW, root) {
            @Override
            public void close() {
                super.close();
                try (Connection c = Nats.connect(firstUrl())) {
                    c.jetStreamManagement().deleteStream(stream);
                } catch (Exception e) {
                    LOG.warn("Could not delete bench stream {}: {}", stream, e.toString());
                }
            }
        };
    }

    private String firstUrl() {
        return nodes.get(0).url();
    }

    /** The URL of the server called {@code name}; the first server's when unknown. */
    private String urlOf(String name) {
        return nodes.stream().filter(n -> n.name().equals(name)).map(LocalNatsServer::url).findFirst().orElseGet(() -> {
            LOG.warn("No bench server is called {}; connecting to {}", name, firstUrl());
            return firstUrl();
        });
    }

    /** Stops the servers and deletes their stores. */
    @Override
    public void close() {
        for (LocalNatsServer n : nodes) {
            n.close();
        }
    }
}
