package dev.omnibus.broker.tck;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A {@code nats-server} process the fixture starts itself on a free port of 127.0.0.1, with
 * JetStream and a store directory of its own, so that restarting, stopping or killing it disturbs
 * nobody; a {@link ServerProcess} underneath. Several can be routed together into a cluster
 * ({@link BrokerServers#natsCluster(int)}). The binary is {@code OMNIBUS_NATS_SERVER}, else
 * {@code nats-server} from the usual places or the PATH.
 */
public final class LocalNatsServer implements BrokerServer {
    private final ServerProcess process;
    private final int clusterPort;

    private LocalNatsServer(ServerProcess process, int clusterPort) {
        this.process = process;
        this.clusterPort = clusterPort;
    }

    /** A standalone server with JetStream. */
    public static LocalNatsServer start() {
        return start(true, -1, List.of());
    }

    static LocalNatsServer start(boolean jetStream, int clusterPort, List<Integer> routePorts) {
        return start(jetStream, ServerProcess.freePort(), clusterPort, routePorts);
    }

    /**
     * A server on {@code port}; with {@code clusterPort > 0} it listens for routes there and routes to
     * {@code routePorts} (every member's, its own included, as a JetStream cluster wants: a restarted
     * node then finds the others whatever their order of start).
     */
    static LocalNatsServer start(boolean jetStream, int port, int clusterPort, List<Integer> routePorts) {
        Path dir = ServerProcess.tempDirectory("nats-" + port);
        String name = "omnibus-" + port;
        List<String> cmd = new ArrayList<>(List.of(binary(), "-a", "127.0.0.1", "-p", Integer.toString(port), "-n", name,
                "-l", dir.resolve("server.log").toString()));
        if (jetStream) {
            cmd.addAll(List.of("-js", "-sd", dir.resolve("store").toString()));
        }
        if (clusterPort > 0) {
            cmd.addAll(List.of("--cluster_name", "omnibus", "--cluster", "nats://127.0.0.1:" + clusterPort));
            if (!routePorts.isEmpty()) {
                cmd.addAll(List.of("--routes", routePorts.stream().map(p -> "nats://127.0.0.1:" + p).collect(Collectors.joining(","))));
            }
        }
        ServerProcess p = ServerProcess.builder("nats-server " + name).command(cmd).url("nats://127.0.0.1:" + port).port(port)
                .dataDirectory(dir).start();
        return new LocalNatsServer(p, clusterPort);
    }

    static int freePort() throws IOException {
        return ServerProcess.freePort();
    }

    static boolean binaryAvailable() {
        return new File(binary()).canExecute() || binary().equals("nats-server") && onPath("nats-server");
    }

    private static boolean onPath(String exe) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(File.pathSeparator)) {
            if (new File(d, exe).canExecute()) {
                return true;
            }
        }
        return false;
    }

    private static String binary() {
        String configured = System.getenv("OMNIBUS_NATS_SERVER");
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        for (String candidate : List.of("/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server")) {
            if (new File(candidate).canExecute()) {
                return candidate;
            }
        }
        return "nats-server";
    }

    /** Stops the server (SIGTERM; its store is kept) and waits until the port is closed. */
    public void stop() {
        process.stop();
    }

    /** Kills the server ({@code kill -9}; its store is kept) and waits until the port is closed. */
    public void kill() {
        process.kill();
    }

    /** Starts a stopped server again, on the same port with the same store. */
    public void startAgain() {
        process.startAgain();
    }

    public boolean isRunning() {
        return process.isRunning();
    }

    @Override
    public String url() {
        return process.url();
    }

    public int port() {
        return process.port();
    }

    int clusterPort() {
        return clusterPort;
    }

    public String name() {
        return process.name().substring("nats-server ".length());
    }

    @Override
    public String description() {
        return "nats-server process " + name() + " on 127.0.0.1:" + port() + " started by the kit (store " + process.dataDirectory() + ")";
    }

    @Override
    public boolean canRestart() {
        return true;
    }

    @Override
    public void restart() {
        process.restart();
    }

    @Override
    public void ensureRunning() {
        process.ensureRunning();
    }

    @Override
    public void close() {
        process.close();
    }

    @Override
    public String toString() {
        return description();
    }
}
