package dev.omnibus.bench;

import dev.omnibus.broker.tck.LocalKafkaServer;
import java.util.Map;
import java.util.function.Function;

/**
 * The Kafka the bench measures: {@code --kafka-url} / {@code OMNIBUS_KAFKA_URL}, else a KRaft broker
 * started in a child JVM ({@link LocalKafkaServer#startForBenchmark}, whose jars are on the bench's
 * classpath; the JVM's default collector and JIT, as in production) and killed on close. On an external cluster the bench deletes the topics and groups it made.
 */
final class KafkaServerForBench implements AutoCloseable {
    private final String url;
    private final LocalKafkaServer local;

    private KafkaServerForBench(String url, LocalKafkaServer local) {
        this.url = url;
        this.local = local;
    }

    static KafkaServerForBench of(String url) {
        if (url != null && !url.isBlank()) {
            return new KafkaServerForBench(url.trim(), null);
        }
        System.err.println("bench: no OMNIBUS_KAFKA_URL; starting a KRaft broker in a child JVM...");
        LocalKafkaServer server = LocalKafkaServer.startForBenchmark(Map.of());
        System.err.println("bench: " + server.description());
        return new KafkaServerForBench(server.url(), server);
    }

    String url() {
        return url;
    }

    /** host:port,... of the URL, for the raw clients. */
    String bootstrap() {
        String rest = url.replaceFirst("^kafka(\\+ssl)?://", "");
        int at = rest.lastIndexOf('@');
        rest = at >= 0 ? rest.substring(at + 1) : rest;
        int end = rest.indexOf('?');
        return (end >= 0 ? rest.substring(0, end) : rest).replaceAll("/+$", "");
    }

    /**
     * The broker for the next many-subscriptions row: a KRaft broker of the bench's own is killed and
     * a new one started, so the row does not share it with the 10,000 topics of the row before (at
     * that size a broker still busy with them timed out the next row's first sends); an external
     * cluster stays (its earlier row's topics were deleted, see {@link #deleteIfExternal}).
     */
    KafkaServerForBench afresh() {
        if (local == null) {
            return this;
        }
        close();
        return of(null);
    }

    /** On an external cluster, deletes the topics and groups named with {@code token}; a broker of the bench's own is killed instead. */
    void deleteIfExternal(String token) {
        if (local == null) {
            KafkaReferences.deleteContaining(bootstrap(), token);
        }
    }

    Workload cleaned(OmnibusWorkload w) {
        return cleaned(w, OmnibusWorkload::token);
    }

    Workload cleaned(OmnibusRequestReply w) {
        return cleaned(w, OmnibusRequestReply::token);
    }

    /** {@code w}, which on an external cluster also deletes the topics and groups named with its token when closed. */
    private <W extends Workload> Workload cleaned(W w, Function<W, String> token) {
        if (local != null) {
            return w;
        }
        return new Workload() {
            @Override
            public String name() {
                return w.name();
            }

            @Override
            public int fanout() {
                return w.fanout();
            }

            @Override
            public void setUp(int bodySize) throws Exception {
                w.setUp(bodySize);
            }

            @Override
            public void run(int count, Probe probe) throws Exception {
                w.run(count, probe);
            }

            @Override
            public void close() throws Exception {
                try {
                    w.close();
                } finally {
                    deleteIfExternal(token.apply(w));
                }
            }
        };
    }

    @Override
    public void close() {
        if (local != null) {
            local.close();
        }
    }
}
