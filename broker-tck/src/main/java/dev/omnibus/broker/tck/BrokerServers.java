package dev.omnibus.broker.tck;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the kit finds the servers the network backends test against, and handles to disturb them.
 *
 * <p>{@link #rabbitMq()} and {@link #nats()} resolve in this order: the URL in
 * {@code OMNIBUS_RABBITMQ_URL} / {@code OMNIBUS_NATS_URL}; else a container started through
 * Testcontainers when a Docker engine answers (one shared container per backend for the run;
 * images from {@code OMNIBUS_RABBITMQ_IMAGE} / {@code OMNIBUS_NATS_IMAGE}, defaulting to
 * {@value #DEFAULT_RABBITMQ_IMAGE} and {@value #DEFAULT_NATS_IMAGE}); else a server listening on
 * the default local port; else a failure saying how to provide one.
 *
 * <p>{@link #kafkaContainer()} / {@link #privateKafkaContainer()} run the image of
 * {@code OMNIBUS_KAFKA_IMAGE} (default {@value #DEFAULT_KAFKA_IMAGE}); without Docker, Kafka's
 * fixture is {@link LocalKafkaServer}.
 *
 * <p>{@link #rabbitMqLocal()} / {@link #natsLocal()} skip the Docker step: the environment URL or
 * the default local port. A found server is restarted with the command in
 * {@code OMNIBUS_RABBITMQ_RESTART} / {@code OMNIBUS_NATS_RESTART}; for the default local RabbitMQ
 * the fixture defaults it to {@code rabbitmqctl stop_app && rabbitmqctl start_app} when
 * {@code rabbitmqctl} is installed. {@link #privateNats()} starts a {@code nats-server} of the
 * fixture's own, which tests may stop and restart freely.
 */
public final class BrokerServers {
    public static final String RABBITMQ_URL_ENV = "OMNIBUS_RABBITMQ_URL";
    public static final String NATS_URL_ENV = "OMNIBUS_NATS_URL";
    public static final String RABBITMQ_RESTART_ENV = "OMNIBUS_RABBITMQ_RESTART";
    public static final String NATS_RESTART_ENV = "OMNIBUS_NATS_RESTART";
    public static final String RABBITMQ_IMAGE_ENV = "OMNIBUS_RABBITMQ_IMAGE";
    public static final String NATS_IMAGE_ENV = "OMNIBUS_NATS_IMAGE";
    public static final String KAFKA_IMAGE_ENV = "OMNIBUS_KAFKA_IMAGE";
    public static final String DEFAULT_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672";
    public static final String DEFAULT_NATS_URL = "nats://127.0.0.1:4222";
    public static final String DEFAULT_RABBITMQ_IMAGE = "rabbitmq:4.1-management";
    public static final String DEFAULT_NATS_IMAGE = "nats:2.11";
    /**
     * The Kafka image scripts/docker-for-tests.sh builds. The fixture configures the container through
     * that image's environment ({@code KAFKA_PORT}, {@code KAFKA_CUT_PORT}, ...), so another image needs
     * the same entrypoint (scripts/docker/kafka/entrypoint.sh).
     */
    public static final String DEFAULT_KAFKA_IMAGE = "omnibus/kafka-local:latest";
    /** The restart command the fixture uses for the default local RabbitMQ when none is configured. */
    public static final String DEFAULT_RABBITMQ_RESTART = "rabbitmqctl stop_app && rabbitmqctl start_app";

    private static ContainerServer sharedRabbitMq;
    private static ContainerServer sharedNats;
    private static ContainerServer sharedKafka;
    private static String dockerProblem;

    private BrokerServers() {
    }

    /** The RabbitMQ URL for tests against a found server: the environment URL, else the default local one. */
    public static String rabbitMqUrl() {
        return env(RABBITMQ_URL_ENV, DEFAULT_RABBITMQ_URL);
    }

    /** The NATS URL for tests against a found server: the environment URL, else the default local one. */
    public static String natsUrl() {
        return env(NATS_URL_ENV, DEFAULT_NATS_URL);
    }

    /** RabbitMQ in the design's order: environment URL, Testcontainers, local port, else a failure. */
    public static synchronized BrokerServer rabbitMq() {
        if (System.getenv(RABBITMQ_URL_ENV) != null || !dockerAvailable() && ExternalServer.accepts(DEFAULT_RABBITMQ_URL)) {
            return rabbitMqLocal();
        }
        if (dockerAvailable()) {
            return rabbitMqContainer();
        }
        throw noServer("RabbitMQ", DEFAULT_RABBITMQ_URL, RABBITMQ_URL_ENV);
    }

    /** NATS in the design's order: environment URL, Testcontainers, local port, else a failure. */
    public static synchronized BrokerServer nats() {
        if (System.getenv(NATS_URL_ENV) != null || !dockerAvailable() && ExternalServer.accepts(DEFAULT_NATS_URL)) {
            return natsLocal();
        }
        if (dockerAvailable()) {
            return natsContainer();
        }
        throw noServer("NATS", DEFAULT_NATS_URL, NATS_URL_ENV);
    }

    /** The RabbitMQ of the environment URL or the default local port (never a container); it must be listening. */
    public static BrokerServer rabbitMqLocal() {
        String url = requireListening(rabbitMqUrl());
        String restart = System.getenv(RABBITMQ_RESTART_ENV);
        String start = null;
        if ((restart == null || restart.isBlank()) && System.getenv(RABBITMQ_URL_ENV) == null && onPath("rabbitmqctl")) {
            restart = DEFAULT_RABBITMQ_RESTART;
            start = "rabbitmqctl start_app";
        }
        return new ExternalServer(url, "RabbitMQ", blankToNull(restart), start);
    }

    /** The NATS server of the environment URL or the default local port (never a container); it must be listening. */
    public static BrokerServer natsLocal() {
        return new ExternalServer(requireListening(natsUrl()), "NATS", blankToNull(System.getenv(NATS_RESTART_ENV)), null);
    }

    /** A nats-server process of the fixture's own, with JetStream, on a free port; close it when done. */
    public static LocalNatsServer privateNats() {
        return LocalNatsServer.start();
    }

    /** {@code size} nats-server processes (core NATS, no JetStream) on free ports, routed into one cluster; close each when done. */
    public static List<LocalNatsServer> natsCluster(int size) {
        List<LocalNatsServer> nodes = new ArrayList<>();
        List<Integer> routes = new ArrayList<>();
        try {
            for (int i = 0; i < size; i++) {
                LocalNatsServer node = LocalNatsServer.start(false, LocalNatsServer.freePort(), List.copyOf(routes));
                nodes.add(node);
                routes.add(node.clusterPort());
            }
            return nodes;
        } catch (IOException | RuntimeException e) {
            nodes.forEach(LocalNatsServer::close);
            throw new IllegalStateException("cannot start a NATS cluster of " + size + ": " + e.getMessage(), e);
        }
    }

    /**
     * {@code size} nats-server processes with JetStream, routed into one JetStream cluster (cluster
     * name {@code omnibus}, server names {@code omnibus-<port>}, a store directory each), for
     * replicated streams ({@code replicas} up to {@code size}); returns once JetStream has elected a
     * meta leader. Close each when done.
     */
    public static List<LocalNatsServer> natsJetStreamCluster(int size) {
        List<LocalNatsServer> nodes = new ArrayList<>();
        try {
            List<Integer> ports = new ArrayList<>();
            List<Integer> routes = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                ports.add(LocalNatsServer.freePort());
                routes.add(LocalNatsServer.freePort());
            }
            List<CompletableFuture<LocalNatsServer>> starting = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                int n = i;
                // started together: a JetStream node waits for its peers before it reports ready
                starting.add(CompletableFuture.supplyAsync(() -> LocalNatsServer.start(true, ports.get(n), routes.get(n), routes)));
            }
            for (CompletableFuture<LocalNatsServer> f : starting) {
                nodes.add(f.get(90, java.util.concurrent.TimeUnit.SECONDS));
            }
            return nodes;
        } catch (IOException | RuntimeException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            nodes.forEach(LocalNatsServer::close);
            throw new IllegalStateException("cannot start a JetStream cluster of " + size + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            nodes.forEach(LocalNatsServer::close);
            throw new IllegalStateException(e);
        }
    }

    /** Whether nats-server can be started by the fixture (for skip reasons). */
    public static boolean natsServerBinaryAvailable() {
        return LocalNatsServer.binaryAvailable();
    }

    /** The run's shared RabbitMQ container (started on first use); do not restart it. */
    public static synchronized BrokerServer rabbitMqContainer() {
        requireDocker();
        if (sharedRabbitMq == null) {
            sharedRabbitMq = ContainerServer.rabbitMq(rabbitMqImage()).start();
        }
        return sharedRabbitMq;
    }

    /** The run's shared NATS container with JetStream (started on first use); do not restart it. */
    public static synchronized BrokerServer natsContainer() {
        requireDocker();
        if (sharedNats == null) {
            sharedNats = ContainerServer.nats(natsImage()).start();
        }
        return sharedNats;
    }

    /**
     * The run's shared Kafka container (KRaft broker+controller, started on first use); do not restart
     * it. Its {@link BrokerServer#cuttableProxy()} serves the kit's connection-cut tests.
     */
    public static synchronized BrokerServer kafkaContainer() {
        requireDocker();
        if (sharedKafka == null) {
            sharedKafka = ContainerServer.kafka(kafkaImage()).start();
        }
        return sharedKafka;
    }

    /** A Kafka container for one destructive test; restart it freely, close it when done. */
    public static BrokerServer privateKafkaContainer() {
        requireDocker();
        return ContainerServer.kafka(kafkaImage()).start();
    }

    /** A RabbitMQ container for one destructive test; restart it freely, close it when done. */
    public static BrokerServer privateRabbitMqContainer() {
        requireDocker();
        return ContainerServer.rabbitMq(rabbitMqImage()).start();
    }

    /** A NATS container for one destructive test; restart it freely, close it when done. */
    public static BrokerServer privateNatsContainer() {
        requireDocker();
        return ContainerServer.nats(natsImage()).start();
    }

    public static String rabbitMqImage() {
        return env(RABBITMQ_IMAGE_ENV, DEFAULT_RABBITMQ_IMAGE);
    }

    public static String natsImage() {
        return env(NATS_IMAGE_ENV, DEFAULT_NATS_IMAGE);
    }

    public static String kafkaImage() {
        return env(KAFKA_IMAGE_ENV, DEFAULT_KAFKA_IMAGE);
    }

    /** Whether a Docker engine answers Testcontainers (asked once per JVM). */
    public static synchronized boolean dockerAvailable() {
        if (dockerProblem == null) {
            try {
                dockerProblem = org.testcontainers.DockerClientFactory.instance().isDockerAvailable() ? ""
                        : "no Docker engine answers (DOCKER_HOST=" + System.getenv("DOCKER_HOST")
                                + "); run `eval \"$(scripts/docker-for-tests.sh)\"` or start Docker";
            } catch (RuntimeException | LinkageError e) {
                dockerProblem = "Testcontainers cannot reach Docker: " + e;
            }
        }
        return dockerProblem.isEmpty();
    }

    /** Why container-backed tests cannot run here, or an empty string when they can. */
    public static String whyNoDocker() {
        dockerAvailable();
        return dockerProblem;
    }

    private static void requireDocker() {
        if (!dockerAvailable()) {
            throw new IllegalStateException(whyNoDocker());
        }
    }

    /**
     * Returns {@code url} if something accepts TCP connections at its host and port, else throws
     * an {@link IllegalStateException} explaining how to provide a server.
     */
    public static String requireListening(String url) {
        if (ExternalServer.accepts(url)) {
            return url;
        }
        URI uri = URI.create(url.split(",")[0].trim());
        String scheme = uri.getScheme();
        String where = uri.getHost() + ":" + portOf(uri);
        boolean container = scheme.startsWith("amqp") || scheme.equals("nats") || scheme.equals("tls");
        if (!container) {
            throw new IllegalStateException("no " + scheme + " server for the compatibility kit: nothing listens at " + where
                    + "; start one there, point your kit class's createBroker at a server you have, or let the kit class start"
                    + " one itself with ServerProcess");
        }
        throw noServer(scheme, where, scheme.startsWith("amqp") ? RABBITMQ_URL_ENV : NATS_URL_ENV);
    }

    private static IllegalStateException noServer(String what, String where, String variable) {
        return new IllegalStateException("no " + what + " server for the compatibility kit: nothing listens at " + where
                + (dockerAvailable() ? "" : " and " + whyNoDocker())
                + "; start one there, set " + variable + " to the URL of a server you have, or make Docker available to Testcontainers");
    }

    /**
     * {@code url} with its host and port replaced (scheme, credentials, path and query kept): how the kit
     * points a backend's own URL at a proxy or a private server.
     */
    public static String withAddress(String url, String host, int port) {
        Matcher m = Pattern.compile("^([a-zA-Z][a-zA-Z0-9+.-]*://)([^@/?#]*@)?([^/?#]*)(.*)$").matcher(url.split(",")[0].trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a host URL: " + url);
        }
        return m.group(1) + (m.group(2) == null ? "" : m.group(2)) + host + ":" + port + m.group(4);
    }

    /** {@code host:port} of the first address of {@code url}. */
    public static String hostPort(String url) {
        URI uri = URI.create(url.split(",")[0].trim());
        return uri.getHost() + ":" + portOf(uri);
    }

    /** Default ports of the schemes the kit knows; any other URL must name its port. */
    private static final java.util.Map<String, Integer> DEFAULT_PORTS = java.util.Map.of(
            "amqp", 5672, "amqps", 5671, "nats", 4222, "tls", 4222, "kafka", 9092, "kafka+ssl", 9093);

    /**
     * The port of {@code uri}: the one it names, else the default port of a scheme the kit knows
     * (amqp, amqps, nats, tls, kafka, kafka+ssl); an IllegalArgumentException for any other.
     */
    public static int portOf(URI uri) {
        if (uri.getPort() > 0) {
            return uri.getPort();
        }
        Integer port = uri.getScheme() == null ? null : DEFAULT_PORTS.get(uri.getScheme().toLowerCase(java.util.Locale.ROOT));
        if (port == null) {
            throw new IllegalArgumentException("URL '" + uri + "' names no port and the kit knows no default port for scheme '"
                    + uri.getScheme() + "'; write it as " + uri.getScheme() + "://host:port");
        }
        return port;
    }

    /** The environment variable holding the restart command for the server of {@code url}: {@code OMNIBUS_<SCHEME>_RESTART}. */
    static String restartVariableFor(String url) {
        String scheme = URI.create(url.split(",")[0].trim()).getScheme().toLowerCase(java.util.Locale.ROOT);
        if (scheme.startsWith("amqp")) {
            return RABBITMQ_RESTART_ENV;
        }
        if (scheme.equals("nats") || scheme.equals("tls")) {
            return NATS_RESTART_ENV;
        }
        return "OMNIBUS_" + scheme.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(java.util.Locale.ROOT) + "_RESTART";
    }

    /** Whether a plain TCP connection to the first address of {@code url} succeeds. */
    public static boolean accepts(String url) {
        return ExternalServer.accepts(url);
    }

    private static boolean onPath(String exe) {
        String path = System.getenv("PATH");
        for (String d : (path == null ? "/usr/sbin:/usr/bin" : path + ":/usr/sbin").split(File.pathSeparator)) {
            if (new File(d, exe).canExecute()) {
                return true;
            }
        }
        return false;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v.trim();
    }

}
