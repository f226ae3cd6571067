package dev.omnibus.bench;

import dev.omnibus.broker.SubscribeOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code omnibus bench}: every backend beside its references, in one JVM run, round by round.
 * Prints the table, writes {@code results.json}, {@code results.csv}, {@code table.md} and
 * {@code ratios.png} to the output directory.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure each backend beside its raw client / reference in one run.")
public final class BenchMain implements Callable<Integer> {
    @Option(names = "--backend", split = ",", defaultValue = "memory,nats,rabbitmq",
            description = "Backends to measure: memory, nats, rabbitmq, kafka; rabbitmq-quorum (durable group on a quorum"
                    + " vs a classic queue), nats-r3 (JetStream R3 vs R1 on a 3-server cluster the bench starts)"
                    + " (default ${DEFAULT-VALUE})")
    List<String> backends;

    @Option(names = "--rabbitmq-url", defaultValue = "${env:OMNIBUS_RABBITMQ_URL:-amqp://guest:guest@127.0.0.1:5672}",
            description = "RabbitMQ to measure against (default ${DEFAULT-VALUE}, masked in output)", hidden = false)
    String rabbitUrl;

    @Option(names = "--nats-url", defaultValue = "${env:OMNIBUS_NATS_URL:-nats://127.0.0.1:4222}",
            description = "NATS to measure against (default ${DEFAULT-VALUE})")
    String natsUrl;

    @Option(names = "--kafka-url", defaultValue = "${env:OMNIBUS_KAFKA_URL:-}",
            description = "Kafka to measure against (default: OMNIBUS_KAFKA_URL, else a KRaft broker the bench starts in a child JVM)")
    String kafkaUrl;

    @Option(names = "--quick", description = "Fewer messages and rounds: finishes in well under two minutes")
    boolean quick;

    @Option(names = "--out", defaultValue = "broker-bench/target/bench", description = "Output directory (default ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--sizes", split = ",", defaultValue = "128,1024", description = "Body sizes in bytes (default ${DEFAULT-VALUE})")
    List<Integer> sizes;

    @Option(names = "--jmh", arity = "0..1", fallbackValue = ".*", paramLabel = "REGEX",
            description = "Run the JMH micro-benchmarks matching REGEX (all by default) with the GC profiler, instead of the scenarios")
    String jmh;

    @Option(names = "--table-from", paramLabel = "RESULTS_JSON",
            description = "Print the Markdown table (README) of a results.json an earlier run wrote, instead of measuring;"
                    + " given more than once, the 95 % bound (median) of each row with a target, one column per run")
    List<Path> tableFrom;

    @Option(names = "--subscriptions", paramLabel = "N", defaultValue = "0",
            description = "Instead of the throughput scenarios: subscribe N distinct topics on each --backend and report the"
                    + " threads added, heap per subscription, subscribe rate and publish->deliver p99 with 1 and with N live"
                    + " (kafka: topics of one partition, ?partitions=1, then the same with kafka-clients alone; raw-kafka:"
                    + " kafka-clients alone; each Kafka row on a new broker when the bench starts its own)")
    int subscriptions;

    @Option(names = "--scenario", hidden = true, paramLabel = "TEXT",
            description = "Run only the scenarios whose name contains TEXT (e.g. 'request/reply'), for profiling one of them")
    String scenario;

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (tableFrom != null && tableFrom.size() == 1) {
            System.out.print(Report.markdownTable(Report.readJson(tableFrom.get(0))));
            return 0;
        }
        if (tableFrom != null) {
            List<Report.Run> runs = new ArrayList<>();
            for (Path file : tableFrom) {
                runs.add(Report.readRun(file));
            }
            System.out.print(Report.boundTable(runs));
            return 0;
        }
        if (jmh != null) {
            ChainedOptionsBuilder o = new OptionsBuilder().include(jmh).addProfiler(GCProfiler.class);
            if (quick) {
                o.warmupIterations(1).measurementIterations(3).warmupTime(TimeValue.seconds(1)).measurementTime(TimeValue.seconds(1));
            }
            new Runner(o.build()).run();
            return 0;
        }
        if (subscriptions > 0) {
            return manySubscriptions();
        }
        Harness harness = quick ? new Harness(1, 3, Duration.ofMinutes(2), scenario)
                : new Harness(2, 11, Duration.ofMinutes(5), scenario);
        List<Result> results = new ArrayList<>();
        try (KafkaServerForBench kafka = backends.contains("kafka") ? KafkaServerForBench.of(kafkaUrl) : null;
                NatsR3Bench natsCluster = backends.contains("nats-r3") ? NatsR3Bench.start() : null) {
            measure(harness, results, kafka, natsCluster);
        }
        Report.printTable(results, System.out);
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("command", "./omnibus bench" + (quick ? " --quick" : "") + " --backend " + String.join(",", backends));
        run.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        run.put("cores", Runtime.getRuntime().availableProcessors());
        if (backends.contains("nats-r3")) {
            run.put("nats-r3", "JetStream cluster of 3 private nats-server processes (BrokerServers.natsJetStreamCluster)");
        }
        if (backends.contains("kafka")) {
            run.put("kafka", kafkaUrl == null || kafkaUrl.isBlank() ? "KRaft broker in a child JVM (LocalKafkaServer)" : "--kafka-url / OMNIBUS_KAFKA_URL");
        }
        Report.writeJson(results, run, out.resolve("results.json"));
        Report.writeCsv(results, out.resolve("results.csv"));
        Report.writeMarkdown(results, out.resolve("table.md"));
        Report.writeChart(results, out.resolve("ratios.png"));
        System.out.println("\nwrote results.json, results.csv, table.md and ratios.png to " + out);
        return 0;
    }

    private int manySubscriptions() throws Exception {
        List<ManySubscriptions.Row> rows = new ArrayList<>();
        int probes = quick ? 500 : 2_000;
        boolean kafkaWanted = backends.contains("kafka") || backends.contains("raw-kafka");
        KafkaServerForBench kafka = kafkaWanted ? KafkaServerForBench.of(kafkaUrl) : null;
        boolean kafkaUsed = false;
        try {
            for (String backend : backends) {
                if (backend.equals("raw-kafka") || backend.equals("kafka")) {
                    // each Kafka row on a broker of its own (see afresh)
                    kafka = kafkaUsed ? kafka.afresh() : kafka;
                    kafkaUsed = true;
                }
                if (backend.equals("raw-kafka")) {
                    rows.add(rawKafka(kafka, probes));
                    continue;
                }
                String url = switch (backend) {
                    case "memory" -> "memory://bench-subscriptions";
                    case "nats" -> natsUrl;
                    case "rabbitmq" -> rabbitUrl;
                    // one partition per topic, as each other backend has one queue or subject per topic
                    case "kafka" -> kafka.url() + (kafka.url().contains("?") ? "&" : "?") + "partitions=1";
                    default -> throw new CommandLine.ParameterException(new CommandLine(this),
                            "--subscriptions measures memory, nats, rabbitmq or kafka, not '" + backend + "'");
                };
                KafkaServerForBench server = kafka;
                // Kafka keeps the topics a subscribe created: on an external cluster the bench deletes them after the row
                rows.add(new ManySubscriptions(backend, url, subscriptions, probes,
                        backend.equals("kafka") ? server::deleteIfExternal : token -> { }).run());
                ManySubscriptions.print(rows.subList(rows.size() - 1, rows.size()), System.err);
                if (backend.equals("kafka") && !backends.contains("raw-kafka")) {
                    kafka = kafka.afresh();
                    rows.add(rawKafka(kafka, probes));
                }
            }
        } finally {
            if (kafka != null) {
                kafka.close();
            }
        }
        ManySubscriptions.print(rows, System.out);
        return 0;
    }

    /** kafka-clients alone with as many topics; a failure is reported and does not lose the other rows. */
    private ManySubscriptions.Row rawKafka(KafkaServerForBench kafka, int probes) {
        try {
            return new RawKafkaManyTopics(kafka.bootstrap(), subscriptions, probes).run();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            System.err.println("bench: raw kafka-clients with " + subscriptions + " topics failed: " + e);
            return new ManySubscriptions.Row("raw kafka", subscriptions, -1, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                    "failed: " + e);
        }
    }

    private void measure(Harness harness, List<Result> results, KafkaServerForBench kafka, NatsR3Bench natsCluster) throws Exception {
        for (String backend : backends) {
            for (int size : sizes) {
                switch (backend) {
                    case "memory":
                        results.addAll(memory(harness, size));
                        break;
                    case "rabbitmq":
                        results.addAll(rabbitmq(harness, size));
                        break;
                    case "nats":
                        results.addAll(nats(harness, size));
                        break;
                    case "kafka":
                        results.addAll(kafka(harness, size, kafka));
                        break;
                    case "rabbitmq-quorum":
                        results.addAll(new RabbitMqQuorumBench(rabbitUrl).run(harness, size, quick ? 5_000 : 50_000));
                        break;
                    case "nats-r3":
                        results.addAll(natsCluster.run(harness, size, quick ? 2_000 : 20_000));
                        break;
                    default:
                        throw new CommandLine.ParameterException(new CommandLine(this), "unknown backend '" + backend + "'");
                }
            }
        }
    }

    private List<Result> kafka(Harness h, int size, KafkaServerForBench server) throws Exception {
        int n = quick ? 20_000 : 200_000;
        int window = 1000;
        int prefetch = 1000;
        String url = server.url();
        String bootstrap = server.bootstrap();
        String token = Long.toString(System.nanoTime() % 1_000_000, 36);
        SubscribeOptions group = SubscribeOptions.builder().queue("bench").durable(true).prefetch(prefetch).build();
        List<Result> r = new ArrayList<>();
        try {
            r.addAll(h.run("kafka acks=all idempotent, window 1000 -> group", size, n, List.<Supplier<Workload>>of(
                    () -> server.cleaned(new OmnibusWorkload("omnibus kafka", url, 1, group, window)),
                    () -> new KafkaReferences.PubSub(bootstrap, token, window, prefetch))));
            r.addAll(h.run("kafka acks=all, each publish awaited -> group", size, n / 20, List.<Supplier<Workload>>of(
                    () -> server.cleaned(new OmnibusWorkload("omnibus kafka", url, 1, group, 0)),
                    () -> new KafkaReferences.PubSub(bootstrap, token, 0, prefetch))));
            r.addAll(h.run("kafka request/reply", size, n / 20, List.<Supplier<Workload>>of(
                    () -> server.cleaned(new OmnibusRequestReply(url)),
                    () -> new KafkaReferences.RequestReply(bootstrap, token))));
        } finally {
            KafkaReferences.deleteContaining(bootstrap, token);
        }
        return r;
    }

    private List<Result> nats(Harness h, int size) throws Exception {
        int n = quick ? 20_000 : 200_000;
        List<Result> r = new ArrayList<>();
        r.addAll(h.run("nats core pub->sub", size, n, List.<Supplier<Workload>>of(
                () -> new OmnibusWorkload("omnibus nats", natsUrl, 1, SubscribeOptions.defaults(), 0),
                () -> new NatsReferences.CorePubSub(natsUrl, false),
                () -> new NatsReferences.CorePubSub(natsUrl, true))));
        r.addAll(h.run("nats request/reply", size, n / 20, List.<Supplier<Workload>>of(
                () -> new OmnibusRequestReply(natsUrl),
                () -> new NatsReferences.RequestReply(natsUrl, false),
                () -> new NatsReferences.RequestReply(natsUrl, true))));
        String stream = "bench-omnibus-" + Long.toString(System.nanoTime() % 1_000_000, 36);
        String js = natsUrl + (natsUrl.contains("?") ? "&" : "?") + "jetstream=true&stream=" + stream;
        r.addAll(h.run("nats JetStream async->durable", size, n / 10, List.<Supplier<Workload>>of(
                () -> new OmnibusWorkload("omnibus nats JetStream", js, 1,
                        SubscribeOptions.builder().queue("bench").durable(true).prefetch(10_000).build(), 1000) {
                    @Override
                    public void close() {
                        super.close();
                        deleteStream(natsUrl, stream);
                    }
                },
                () -> new NatsReferences.JetStreamPubSub(natsUrl, 1000))));
        return r;
    }

    private static void deleteStream(String url, String stream) {
        try (io.nats.client.Connection c = io.nats.client.Nats.connect(url)) {
            c.jetStreamManagement().deleteStream(stream);
        } catch (Exception e) {
            System.err.println("could not delete bench stream " + stream + ": " + e.getMessage());
        }
    }

    private List<Result> rabbitmq(Harness h, int size) throws Exception {
        int n = quick ? 5_000 : 50_000;
        List<Result> r = new ArrayList<>();
        int prefetch = 1024;
        // the backend's broadcast subscriptions consume from the node queue with nodePrefetch
        String url = rabbitUrl + (rabbitUrl.contains("?") ? "&" : "?") + "nodePrefetch=" + prefetch;
        r.addAll(h.run("rabbitmq confirms, window 1000", size, n, List.<Supplier<Workload>>of(
                () -> new OmnibusWorkload("omnibus rabbitmq", url, 1, SubscribeOptions.defaults(), 1000),
                () -> new RabbitMqReferences.PubSub(rabbitUrl, 1000, prefetch))));
        r.addAll(h.run("rabbitmq confirm each publish", size, n / 10, List.<Supplier<Workload>>of(
                () -> new OmnibusWorkload("omnibus rabbitmq", url, 1, SubscribeOptions.defaults(), 0),
                () -> new RabbitMqReferences.PubSub(rabbitUrl, 0, prefetch))));
        r.addAll(h.run("rabbitmq request/reply", size, n / 10, List.<Supplier<Workload>>of(
                () -> new OmnibusRequestReply(url),
                () -> new RabbitMqReferences.RequestReply(rabbitUrl, false),
                () -> new RabbitMqReferences.RequestReply(rabbitUrl, true))));
        return r;
    }

    private List<Result> memory(Harness h, int size) throws Exception {
        int n = quick ? 100_000 : 1_000_000;
        List<Result> r = new ArrayList<>();
        SubscribeOptions broadcast = SubscribeOptions.defaults();
        SubscribeOptions group = SubscribeOptions.builder().queue("bench").build();
        r.addAll(h.run("memory 1->1", size, n, List.<Supplier<Workload>>of(
                () -> new OmnibusWorkload("omnibus memory", "memory:", 1, broadcast, 0),
                () -> new MemoryReferences.QueueHandoff(1, false),
                () -> new MemoryReferences.GuavaAsyncEventBus(1),
                () -> new MemoryReferences.LmaxDisruptor(1))));
        r.addAll(h.run("memory 1->4 broadcast", size, n / 4, List.<Supplier<Workload>>of(
                () -> new OmnibusWorkload("omnibus memory", "memory:", 4, broadcast, 0),
                () -> new MemoryReferences.QueueHandoff(4, false),
                () -> new MemoryReferences.GuavaAsyncEventBus(4),
                () -> new MemoryReferences.LmaxDisruptor(4))));
        r.addAll(h.run("memory 1->group of 4", size, n / 2, List.<Supplier<Workload>>of(
                () -> new OmnibusWorkload("omnibus memory", "memory:", 4, group, 0),
                () -> new MemoryReferences.QueueHandoff(4, true))));
        return r;
    }
}
