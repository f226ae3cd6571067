package dev.omnibus.broker.tck;

import com.github.dockerjava.api.DockerClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * A broker in a container started through Testcontainers. Its port is bound to a fixed free host
 * port, so a {@link #restart()} (docker stop, docker start of the same container) keeps the
 * address and the stored data, and clients reconnect as they would to a restarted server.
 * Ryuk may be disabled, so a shutdown hook stops the container when the JVM exits.
 *
 * <p>Kafka clients connect to the addresses the broker advertises, so a Kafka container listens on
 * the same port number inside as its host port (mapped 1:1) and advertises 127.0.0.1 with it; its
 * second listener, {@code CUT}, also mapped 1:1, advertises the port of {@link #cuttableProxy()}.
 */
final class ContainerServer implements BrokerServer {
    private final GenericContainer<?> container;
    private final String kind;
    private final String scheme;
    private final String userInfo;
    private final int hostPort;
    private final Pattern readyLine;
    /** Kafka only: the CUT listener's port (host = container) and the proxy port it advertises; else 0. */
    private final int cutPort;
    private final int proxyPort;
    private int starts;

    /** {@code containerPort} 0: the same as the host port (Kafka, which advertises it). */
    private ContainerServer(String kind, String image, int containerPort, String scheme, String userInfo, String readyRegex,
            List<String> command, boolean kafka) {
        this.kind = kind;
        this.scheme = scheme;
        this.userInfo = userInfo;
        this.readyLine = Pattern.compile(readyRegex);
        try {
            this.hostPort = LocalNatsServer.freePort();
            this.cutPort = kafka ? LocalNatsServer.freePort() : 0;
            this.proxyPort = kafka ? LocalNatsServer.freePort() : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int inside = containerPort == 0 ? hostPort : containerPort;
        List<Integer> exposed = new ArrayList<>(List.of(inside));
        List<String> bindings = new ArrayList<>(List.of(hostPort + ":" + inside));
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(image))
                .waitingFor(Wait.forLogMessage(".*" + readyRegex + ".*", 1).withStartupTimeout(Duration.ofMinutes(3)));
        if (kafka) {
            // the environment of omnibus/kafka-local (scripts/docker/kafka/entrypoint.sh)
            exposed.add(cutPort);
            bindings.add(cutPort + ":" + cutPort);
            c.withEnv(Map.of("KAFKA_PORT", Integer.toString(hostPort), "KAFKA_ADVERTISED_HOST", "127.0.0.1",
                    "KAFKA_CUT_PORT", Integer.toString(cutPort), "KAFKA_CUT_ADVERTISED_PORT", Integer.toString(proxyPort),
                    "KAFKA_HEAP", System.getProperty("omnibus.kafka.heap", "512m")));
        }
        c.withExposedPorts(exposed.toArray(new Integer[0]));
        c.setPortBindings(bindings);
        if (!command.isEmpty()) {
            c.withCommand(command.toArray(new String[0]));
        }
        this.container = c;
    }

    static ContainerServer rabbitMq(String image) {
        return new ContainerServer("RabbitMQ", image, 5672, "amqp", "guest:guest@", "Server startup complete", List.of(), false);
    }

    static ContainerServer nats(String image) {
        return new ContainerServer("NATS", image, 4222, "nats", "", "Server is ready", List.of("-js"), false);
    }

    /** A KRaft broker+controller of an image with omnibus/kafka-local's environment (scripts/docker-for-tests.sh). */
    static ContainerServer kafka(String image) {
        return new ContainerServer("Kafka", image, 0, "kafka", "", "Kafka Server started", List.of(), true);
    }

    ContainerServer start() {
        container.start();
        starts = 1;
        Runtime.getRuntime().addShutdownHook(new Thread(this::close, "omnibus-stop-" + kind + "-container"));
        return this;
    }

    @Override
    public String url() {
        return scheme + "://" + userInfo + "127.0.0.1:" + hostPort;
    }

    @Override
    public String description() {
        return kind + " container " + container.getDockerImageName() + " on 127.0.0.1:" + hostPort
                + (proxyPort == 0 ? "" : " (cuttable listener advertised at 127.0.0.1:" + proxyPort + ")") + " (Testcontainers)";
    }

    /**
     * Kafka: a proxy on the port the container's {@code CUT} listener advertises, forwarding to that
     * listener, so that a client bootstrapped through it reaches the broker only through it; null for
     * the other kinds (the kit's proxy in front of {@link #url()} does). One at a time.
     */
    @Override
    public TcpProxy cuttableProxy() {
        if (proxyPort == 0) {
            return null;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            try {
                return TcpProxy.listeningOn(proxyPort, "127.0.0.1", cutPort);
            } catch (IllegalStateException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(50); // waiting for a closing proxy to release the port, not synchronising threads
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    @Override
    public boolean canRestart() {
        return true;
    }

    @Override
    public synchronized void restart() {
        DockerClient docker = DockerClientFactory.instance().client();
        String id = container.getContainerId();
        try {
            docker.stopContainerCmd(id).withTimeout(20).exec();
        } finally {
            docker.startContainerCmd(id).exec();
            starts++;
            awaitReady(Duration.ofMinutes(2));
        }
    }

    @Override
    public synchronized void ensureRunning() {
        DockerClient docker = DockerClientFactory.instance().client();
        Boolean running = docker.inspectContainerCmd(container.getContainerId()).exec().getState().getRunning();
        if (!Boolean.TRUE.equals(running)) {
            docker.startContainerCmd(container.getContainerId()).exec();
            starts++;
            awaitReady(Duration.ofMinutes(2));
        }
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (readyCount() < starts || !ExternalServer.accepts(url())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(description() + " was not ready " + timeout + " after its restart");
            }
            try {
                Thread.sleep(100); // polling container logs, not synchronising threads
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    private int readyCount() {
        Matcher m = readyLine.matcher(container.getLogs());
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Override
    public synchronized void close() {
        try {
            container.stop();
        } catch (RuntimeException e) {
            // the JVM is exiting, or the engine went away: nothing more to do
        }
    }

    @Override
    public String toString() {
        return description();
    }
}
