package dev.omnibus.broker.tck;

import com.github.dockerjava.api.DockerClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
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
 */
final class ContainerServer implements BrokerServer {
    private final GenericContainer<?> container;
    private final String kind;
    private final String scheme;
    private final String userInfo;
    private final int hostPort;
    private final Pattern readyLine;
    private int starts;

    private ContainerServer(String kind, String image, int containerPort, String scheme, String userInfo, String readyRegex,
            List<String> command) {
        this.kind = kind;
        this.scheme = scheme;
        this.userInfo = userInfo;
        this.readyLine = Pattern.compile(readyRegex);
        try {
            this.hostPort = LocalNatsServer.freePort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(image))
                .withExposedPorts(containerPort)
                .waitingFor(Wait.forLogMessage(".*" + readyRegex + ".*", 1).withStartupTimeout(Duration.ofMinutes(3)));
        c.setPortBindings(List.of(hostPort + ":" + containerPort));
        if (!command.isEmpty()) {
            c.withCommand(command.toArray(new String[0]));
        }
        this.container = c;
    }

    static ContainerServer rabbitMq(String image) {
        return new ContainerServer("RabbitMQ", image, 5672, "amqp", "guest:guest@", "Server startup complete", List.of());
    }

    static ContainerServer nats(String image) {
        return new ContainerServer("NATS", image, 4222, "nats", "", "Server is ready", List.of("-js"));
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
        return kind + " container " + container.getDockerImageName() + " on 127.0.0.1:" + hostPort + " (Testcontainers)";
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
