package dev.omnibus.broker.tck;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A {@code nats-server} process the fixture starts itself on a free port of 127.0.0.1, with
 * JetStream and a store directory of its own, so that restarting or stopping it disturbs nobody.
 * Several can be routed together into a cluster ({@link BrokerServers#natsCluster(int)}).
 */
public final class LocalNatsServer implements BrokerServer {
    private final String name;
    private final int port;
    private final int clusterPort;
    private final Path dir;
    private final List<String> command;
    private Process process;

    private LocalNatsServer(String name, int port, int clusterPort, Path dir, List<String> command) {
        this.name = name;
        this.port = port;
        this.clusterPort = clusterPort;
        this.dir = dir;
        this.command = command;
    }

    /** A standalone server with JetStream. */
    public static LocalNatsServer start() {
        return start(true, -1, List.of());
    }

    static LocalNatsServer start(boolean jetStream, int clusterPort, List<Integer> routePorts) {
        try {
            int port = freePort();
            Path dir = Files.createTempDirectory("omnibus-nats-" + port + "-");
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
            LocalNatsServer server = new LocalNatsServer(name, port, clusterPort, dir, cmd);
            server.launch();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start nats-server: " + e.getMessage(), e);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
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

    private synchronized void launch() throws IOException {
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("process.log").toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!ExternalServer.accepts(url())) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IOException("nats-server on port " + port + " did not start (" + String.join(" ", command) + "); see " + dir);
            }
            pause();
        }
    }

    /** Stops the server (SIGTERM; its store is kept) and waits until the port is closed. */
    public synchronized void stop() {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ExternalServer.accepts(url()) && System.nanoTime() < deadline) {
            pause();
        }
    }

    /** Starts a stopped server again, on the same port with the same store. */
    public synchronized void startAgain() {
        if (process != null && process.isAlive()) {
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

    @Override
    public String url() {
        return "nats://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    int clusterPort() {
        return clusterPort;
    }

    public String name() {
        return name;
    }

    @Override
    public String description() {
        return "nats-server process " + name + " on 127.0.0.1:" + port + " started by the kit (store " + dir + ")";
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
        stop();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a temp directory left behind is harmless
        }
    }

    private static void pause() {
        try {
            Thread.sleep(50); // polling a port, not synchronising threads
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
