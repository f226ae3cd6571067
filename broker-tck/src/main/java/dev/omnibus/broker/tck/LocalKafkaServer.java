package dev.omnibus.broker.tck;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A Kafka broker in KRaft mode (combined broker and controller) that the fixture runs itself in a
 * child JVM, on free ports of 127.0.0.1 with a log directory of its own, so that restarting,
 * stopping or {@code kill -9}-ing it disturbs nobody. The broker's classes come from the test
 * JVM's classpath: a backend's test scope needs {@code org.apache.kafka:kafka_2.13} and
 * {@code kafka-server} (no compile dependency here). The storage is formatted with
 * {@code kafka.tools.StorageTool} and the broker runs {@code kafka.Kafka server.properties}.
 *
 * <p>Besides its plain listener ({@link #url()}), the broker has a listener that advertises the
 * address of {@link #cuttableProxy()}, for the kit's connection-cut tests.
 *
 * <p>Tuned for tests: {@code group.initial.rebalance.delay.ms=0}, short broker session (a node
 * restarted after a SIGKILL is back in seconds), no topic auto-creation, one replica. A JVM
 * shutdown hook kills every server still running, so nothing outlives the test run.
 *
 * <p>{@link #fromEnvironment()}: {@value #URL_ENV} names an external cluster to use instead.
 */
public final class LocalKafkaServer implements BrokerServer {
    /** URL of an external cluster ({@code kafka://host:9092}) the kit uses instead of starting one. */
    public static final String URL_ENV = "OMNIBUS_KAFKA_URL";
    /** Restart command for the external cluster of {@value #URL_ENV}, if any. */
    public static final String RESTART_ENV = "OMNIBUS_KAFKA_RESTART";
    private static final String MAIN = "kafka.Kafka";
    private static final String STORAGE_TOOL = "kafka.tools.StorageTool";
    private static final Set<LocalKafkaServer> RUNNING = ConcurrentHashMap.newKeySet();
    private static LocalKafkaServer shared;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(LocalKafkaServer::kill), "omnibus-kafka-reaper"));
    }

    private final int port;
    private final int controllerPort;
    private final int cutPort;
    private final int proxyPort;
    private final Path dir;
    private final String heap;
    private final int nodeId;
    /** Extra client listeners: name → {protocol, port}. */
    private final Map<String, String[]> extraListeners = new LinkedHashMap<>();
    private String voters;
    private String clusterId = base64Uuid();
    private Process process;
    /** JIT and collector flags of the broker's JVM: quick to start for tests, the JVM's own defaults for benchmarks. */
    private List<String> jvmFlags = TEST_JVM;
    private static final List<String> TEST_JVM = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto");

    private LocalKafkaServer(int nodeId, int port, int controllerPort, int cutPort, int proxyPort, Path dir, String heap) {
        this.nodeId = nodeId;
        this.voters = nodeId + "@127.0.0.1:" + controllerPort;
        this.port = port;
        this.controllerPort = controllerPort;
        this.cutPort = cutPort;
        this.proxyPort = proxyPort;
        this.dir = dir;
        this.heap = heap;
    }

    /** The run's shared broker: {@value #URL_ENV}'s cluster, else a local one started on first use (stopped at JVM exit). */
    public static synchronized BrokerServer fromEnvironment() {
        String url = System.getenv(URL_ENV);
        if (url != null && !url.isBlank()) {
            String restart = System.getenv(RESTART_ENV);
            return new ExternalServer(url.trim(), "Kafka", restart == null || restart.isBlank() ? null : restart.trim(), null);
        }
        if (shared == null || !shared.isRunning()) {
            shared = start(Map.of());
        }
        return shared;
    }

    /** Whether the Kafka broker's classes are on this JVM's classpath (for skip reasons). */
    public static boolean available() {
        try {
            Class.forName(MAIN, false, LocalKafkaServer.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** A new broker of the fixture's own, with {@code overrides} added to its server.properties; close it when done. */
    public static LocalKafkaServer start(Map<String, String> overrides) {
        return start(overrides, Map.of());
    }

    /**
     * A new broker with extra client listeners besides the plain one: {@code listeners} maps a
     * listener name (upper case, e.g. {@code TLS}) to its security protocol ({@code SSL},
     * {@code SASL_PLAINTEXT}, ...); each gets a free port ({@link #listenerPort(String)}), advertised
     * as is. Configure them through {@code overrides} with Kafka's listener prefix, e.g.
     * {@code listener.name.tls.ssl.keystore.location}. Close it when done.
     */
    public static LocalKafkaServer start(Map<String, String> overrides, Map<String, String> listeners) {
        return start(overrides, listeners, TEST_JVM);
    }

    /**
     * A new broker for measurements: its JVM runs with the JVM's defaults (G1, the optimising JIT), as
     * a production broker's does, where the tests' brokers start faster on the serial collector with
     * the quick JIT only. Close it when done.
     */
    public static LocalKafkaServer startForBenchmark(Map<String, String> overrides) {
        return start(overrides, Map.of(), List.of());
    }

    private static LocalKafkaServer start(Map<String, String> overrides, Map<String, String> listeners, List<String> jvmFlags) {
        if (!available()) {
            throw new IllegalStateException("the Kafka broker classes (" + MAIN + ") are not on the test classpath; add"
                    + " org.apache.kafka:kafka_2.13 and org.apache.kafka:kafka-server in test scope, or set " + URL_ENV);
        }
        try {
            LocalKafkaServer server = unstarted(1, System.getProperty("omnibus.kafka.heap", "512m"));
            server.jvmFlags = jvmFlags;
            for (Map.Entry<String, String> l : listeners.entrySet()) {
                if (!l.getKey().matches("[A-Z][A-Z0-9_]*") || List.of("PLAINTEXT", "CONTROLLER", "CUT").contains(l.getKey())) {
                    throw new IllegalArgumentException("listener name '" + l.getKey() + "': use upper-case letters, digits and '_',"
                            + " not PLAINTEXT, CONTROLLER or CUT");
                }
                server.extraListeners.put(l.getKey(), new String[] {l.getValue(), Integer.toString(freePort())});
            }
            server.configure(overrides);
            server.format();
            server.launch();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a Kafka broker: " + e.getMessage(), e);
        }
    }

    /** A node with free ports and a data directory, neither configured nor started (for {@link LocalKafkaCluster}). */
    static LocalKafkaServer unstarted(int nodeId, String heap) throws IOException {
        int port = freePort();
        Path dir = Files.createTempDirectory("omnibus-kafka-" + port + "-");
        return new LocalKafkaServer(nodeId, port, freePort(), freePort(), freePort(), dir, heap);
    }

    /** {@code id@host:port} of this node's controller listener, for {@code controller.quorum.voters}. */
    String voter() {
        return nodeId + "@127.0.0.1:" + controllerPort;
    }

    /** Writes server.properties for a node of a cluster with these voters and id, and formats its storage. */
    void prepare(String quorumVoters, String sharedClusterId, Map<String, String> overrides) throws IOException {
        this.voters = quorumVoters;
        this.clusterId = sharedClusterId;
        configure(overrides);
        format();
    }

    static String newClusterId() {
        return base64Uuid();
    }

    /** This node's {@code node.id}: the broker id Admin names as a partition's leader. */
    public int nodeId() {
        return nodeId;
    }

    private void configure(Map<String, String> overrides) throws IOException {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(nodeId));
        p.put("controller.quorum.voters", voters);
        // CUT: a second client listener that advertises the port of cuttableProxy(), so that a client
        // bootstrapped through the proxy is told to connect to the proxy again, and cut() cuts it
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort
                + ",CUT://127.0.0.1:" + cutPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port + ",CUT://127.0.0.1:" + proxyPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,CUT:PLAINTEXT");
        extraListeners.forEach((name, protocolAndPort) -> {
            p.merge("listeners", name + "://127.0.0.1:" + protocolAndPort[1], (a, b) -> a + "," + b);
            p.merge("advertised.listeners", name + "://127.0.0.1:" + protocolAndPort[1], (a, b) -> a + "," + b);
            p.merge("listener.security.protocol.map", name + ":" + protocolAndPort[0], (a, b) -> a + "," + b);
        });
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", dir.resolve("data").toString());
        p.put("num.partitions", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "5");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("auto.create.topics.enable", "false");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("group.min.session.timeout.ms", "2000");
        p.put("broker.session.timeout.ms", "3000");
        p.put("broker.heartbeat.interval.ms", "500");
        p.put("log.flush.interval.messages", "1");
        p.put("log.segment.bytes", "16777216");
        p.put("log.retention.check.interval.ms", "60000");
        p.putAll(overrides);
        String text = p.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("\n")) + "\n";
        Files.writeString(dir.resolve("server.properties"), text, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("log4j2.properties"), "rootLogger.level=WARN\nrootLogger.appenderRef.out.ref=OUT\n"
                + "appender.out.type=Console\nappender.out.name=OUT\nappender.out.layout.type=PatternLayout\n"
                + "appender.out.layout.pattern=[%d] %p %m (%c)%n\n"
                + "logger.started.name=kafka.server.KafkaRaftServer\nlogger.started.level=INFO\n", StandardCharsets.UTF_8);
    }

    private List<String> java(String main, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.addAll(List.of("-Xmx" + heap, "-Xms64m"));
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-Djava.awt.headless=true", "-Dlog4j2.configurationFile=" + dir.resolve("log4j2.properties"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info"));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main);
        cmd.addAll(List.of(args));
        return cmd;
    }

    private void format() throws IOException {
        Process p = new ProcessBuilder(java(STORAGE_TOOL, "format", "--ignore-formatted", "--cluster-id=" + clusterId, "-c",
                dir.resolve("server.properties").toString())).redirectErrorStream(true)
                .redirectOutput(dir.resolve("format.log").toFile()).start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("formatting the Kafka storage failed; see " + dir.resolve("format.log") + ": "
                        + tail(dir.resolve("format.log")));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private static String base64Uuid() {
        UUID u = UUID.randomUUID();
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16);
        b.putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
    }

    private synchronized void launch() throws IOException {
        spawn();
        awaitReady();
    }

    /** Starts the child JVM without waiting (a cluster's nodes wait for each other's quorum). */
    synchronized void spawn() throws IOException {
        process = new ProcessBuilder(java(MAIN, dir.resolve("server.properties").toString())).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.log").toFile())).start();
        RUNNING.add(this);
    }

    /** Waits until the spawned node serves clients; kills it and fails after 90 s. */
    void awaitReady() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!ready()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                kill();
                throw new IOException("the Kafka broker on port " + port + " did not become ready; see " + dir.resolve("server.log")
                        + ": " + tail(dir.resolve("server.log")));
            }
            pause(100);
        }
    }

    /** Ready: the broker port accepts connections and the broker logged that it started. */
    private boolean ready() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
        } catch (IOException e) {
            return false;
        }
        return logSays("Kafka Server started");
    }

    private boolean logSays(String text) {
        try {
            return Files.readString(dir.resolve("server.log"), StandardCharsets.UTF_8).contains(text);
        } catch (IOException e) {
            return false;
        }
    }

    private static String tail(Path log) {
        try {
            String s = Files.readString(log, StandardCharsets.UTF_8);
            return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
        } catch (IOException e) {
            return "";
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    /** Stops the broker gracefully (SIGTERM, its log kept) and waits for the process to end. */
    public synchronized void stop() {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        RUNNING.remove(this);
    }

    /** {@code kill -9}: the process ends at once, unflushed state and all; {@link #startAgain()} recovers. */
    public synchronized void kill() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        RUNNING.remove(this);
    }

    /** Starts a stopped or killed broker again: same ports, same data. */
    public synchronized void startAgain() {
        if (isRunning()) {
            return;
        }
        try {
            launch();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The child JVM's process id, or -1. */
    public long pid() {
        return process == null ? -1 : process.pid();
    }

    @Override
    public String url() {
        return "kafka://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** The port of the extra listener {@code name} given to {@link #start(Map, Map)}. */
    public int listenerPort(String name) {
        String[] l = extraListeners.get(name);
        if (l == null) {
            throw new IllegalArgumentException("no listener '" + name + "'; this broker has " + extraListeners.keySet());
        }
        return Integer.parseInt(l[1]);
    }

    /**
     * A new proxy, on the fixed port that the broker's {@code CUT} listener advertises, forwarding to
     * that listener: a client whose URL names the proxy bootstraps through it, is told (metadata) that
     * the broker is at the proxy, and so reaches the broker only through it; {@link TcpProxy#cut()}
     * really cuts. Only one such proxy can be open at a time (they share the port): close one before
     * asking for the next; a port still held by a closing proxy is retried for a few seconds.
     */
    @Override
    public TcpProxy cuttableProxy() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            try {
                return TcpProxy.listeningOn(proxyPort, "127.0.0.1", cutPort);
            } catch (IllegalStateException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                pause(50); // waiting for a port to be released, not synchronising threads
            }
        }
    }

    @Override
    public String description() {
        return "Kafka broker (KRaft, child JVM -Xmx" + heap + (jvmFlags.isEmpty() ? ", default collector and JIT" : "") + ") on 127.0.0.1:" + port + " (cuttable listener advertised at 127.0.0.1:"
                + proxyPort + ") started by the kit (data " + dir + ")";
    }

    @Override
    public boolean canRestart() {
        return true;
    }

    @Override
    public synchronized void restart() {
        try {
            stop();
        } finally {
            startAgain();
        }
    }

    @Override
    public void ensureRunning() {
        startAgain();
    }

    @Override
    public synchronized void close() {
        kill();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a temp directory left behind is harmless
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis); // polling a port, not synchronising threads
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return description();
    }
}
