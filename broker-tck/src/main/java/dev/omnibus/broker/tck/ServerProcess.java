package dev.omnibus.broker.tck;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A broker server the kit starts as a child process of the test JVM, for any backend: its command,
 * its port and URL, a data directory that survives restarts, a readiness check, and the faults the
 * kit inflicts — {@link #stop()} (SIGTERM), {@link #kill()} (SIGKILL, {@code kill -9}),
 * {@link #startAgain()}, {@link #restart()}. Every process still running when the JVM exits is
 * killed. The NATS fixture ({@link LocalNatsServer}) is built on it; a backend author's fixture is
 * a few lines:
 *
 * <pre>{@code
 * int port = ServerProcess.freePort();
 * Path data = ServerProcess.tempDirectory("redis");
 * ServerProcess redis = ServerProcess.builder("redis-server")
 *         .command("redis-server", "--port", Integer.toString(port), "--dir", data.toString())
 *         .url("redis://127.0.0.1:" + port).port(port).dataDirectory(data)
 *         .start();
 * }</pre>
 *
 * <p>Not thread-safe for concurrent faults on one process; the kit inflicts them one at a time.
 */
public final class ServerProcess implements BrokerServer {
    private static final Set<ServerProcess> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(ServerProcess::killQuietly), "omnibus-kit-reaper"));
    }

    private final String name;
    private final List<String> command;
    private final Map<String, String> environment;
    private final String url;
    private final int port;
    private final Path dataDirectory;
    private final Predicate<ServerProcess> ready;
    private final Duration startTimeout;
    private final boolean deleteOnClose;
    private Process process;

    private ServerProcess(Builder b) {
        this.name = b.name;
        this.command = List.copyOf(b.command);
        this.environment = Map.copyOf(b.environment);
        this.url = b.url;
        this.port = b.port;
        this.dataDirectory = b.dataDirectory;
        this.ready = b.ready != null ? b.ready : p -> accepts(p.port);
        this.startTimeout = b.startTimeout;
        this.deleteOnClose = b.deleteOnClose;
    }

    /** A fixture for the server called {@code name} (in messages and the log file's name). */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** A TCP port free on 127.0.0.1 right now. */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port: " + e.getMessage(), e);
        }
    }

    /** A new temporary directory whose name starts with {@code omnibus-<prefix>-}. */
    public static Path tempDirectory(String prefix) {
        try {
            return Files.createTempDirectory("omnibus-" + prefix + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a temporary directory: " + e.getMessage(), e);
        }
    }

    /** Whether something accepts TCP connections on 127.0.0.1:{@code port}. */
    public static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Starts the process and returns once the readiness check passes; fails naming the command and the log. */
    public synchronized ServerProcess start() {
        if (isRunning()) {
            return this;
        }
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()));
            pb.environment().putAll(environment);
            process = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + name + " (" + String.join(" ", command) + "): " + e.getMessage()
                    + "; install it or put it on the PATH", e);
        }
        LIVE.add(this);
        long deadline = System.nanoTime() + startTimeout.toNanos();
        while (!ready.test(this) || !process.isAlive()) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with code " + process.exitValue() + " while starting ("
                        + String.join(" ", command) + "); see " + log());
            }
            if (System.nanoTime() > deadline) {
                kill();
                throw new IllegalStateException(name + " was not ready within " + startTimeout + " (" + String.join(" ", command)
                        + "); see " + log());
            }
            pause();
        }
        return this;
    }

    /** Stops the server gracefully (SIGTERM; SIGKILL after 15 s) and waits until its port is closed. */
    public synchronized void stop() {
        if (!isRunning()) {
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
        awaitClosed();
    }

    /** Kills the server at once ({@code kill -9}: no shutdown, no flush) and waits until its port is closed. */
    public synchronized void kill() {
        if (!isRunning()) {
            return;
        }
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        awaitClosed();
    }

    /** Starts a stopped or killed server again: same command, port and data directory. */
    public synchronized void startAgain() {
        start();
    }

    public boolean isRunning() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /** The process id while running, else -1. */
    public long pid() {
        Process p = process;
        return p != null && p.isAlive() ? p.pid() : -1;
    }

    @Override
    public String url() {
        return url;
    }

    public int port() {
        return port;
    }

    public String name() {
        return name;
    }

    /** Where the server keeps what survives a restart, or null. */
    public Path dataDirectory() {
        return dataDirectory;
    }

    /** The process's standard output and error. */
    public Path log() {
        Path dir = dataDirectory != null ? dataDirectory : Path.of(System.getProperty("java.io.tmpdir"));
        return dir.resolve(name.replaceAll("[^A-Za-z0-9_.-]", "_") + "-" + port + ".log");
    }

    @Override
    public String description() {
        return name + " on 127.0.0.1:" + port + " started by the kit" + (dataDirectory != null ? " (data " + dataDirectory + ")" : "");
    }

    @Override
    public boolean canRestart() {
        return true;
    }

    /** {@link #stop()} then {@link #startAgain()}; the server is started again even if stopping failed. */
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

    /** Stops the server and deletes its data directory (unless built with {@code keepData}). */
    @Override
    public synchronized void close() {
        try {
            stop();
        } finally {
            LIVE.remove(this);
            if (deleteOnClose && dataDirectory != null) {
                try (Stream<Path> files = Files.walk(dataDirectory)) {
                    files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                } catch (IOException e) {
                    // a temporary directory left behind is harmless
                }
            }
        }
    }

    private void awaitClosed() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (accepts(port) && System.nanoTime() < deadline) {
            pause();
        }
    }

    private void killQuietly() {
        Process p = process;
        if (p != null && p.isAlive()) {
            p.destroyForcibly();
        }
    }

    private static void pause() {
        try {
            Thread.sleep(50); // polling a port or a process, not synchronising threads
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return description();
    }

    /** Builds a {@link ServerProcess}; {@link #command}, {@link #url} and {@link #port} are required. */
    public static final class Builder {
        private final String name;
        private final List<String> command = new ArrayList<>();
        private final Map<String, String> environment = new LinkedHashMap<>();
        private String url;
        private int port;
        private Path dataDirectory;
        private Predicate<ServerProcess> ready;
        private Duration startTimeout = Duration.ofSeconds(30);
        private boolean deleteOnClose = true;

        private Builder(String name) {
            this.name = Objects.requireNonNull(name, "name must not be null");
        }

        public Builder command(String... command) {
            return command(List.of(command));
        }

        public Builder command(List<String> command) {
            this.command.clear();
            this.command.addAll(command);
            return this;
        }

        /** An environment variable of the process. */
        public Builder environment(String name, String value) {
            environment.put(name, value);
            return this;
        }

        /** The URL clients use. */
        public Builder url(String url) {
            this.url = url;
            return this;
        }

        /** The port clients connect to; the default readiness check waits until it accepts connections. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** Where the server keeps its data; deleted by {@link ServerProcess#close()} unless {@link #keepData()}. */
        public Builder dataDirectory(Path dir) {
            this.dataDirectory = dir;
            return this;
        }

        /** Keeps the data directory on {@link ServerProcess#close()}. */
        public Builder keepData() {
            this.deleteOnClose = false;
            return this;
        }

        /** When the started server is ready for the kit (default: its port accepts TCP connections). */
        public Builder ready(Predicate<ServerProcess> ready) {
            this.ready = ready;
            return this;
        }

        public Builder startTimeout(Duration timeout) {
            this.startTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /** The fixture, not started yet. */
        public ServerProcess build() {
            if (command.isEmpty() || url == null || port <= 0) {
                throw new IllegalStateException("a server process needs a command, a url and a port; " + name + " has "
                        + command + ", " + url + ", " + port);
            }
            return new ServerProcess(this);
        }

        /** {@link #build()} and {@link ServerProcess#start()}. */
        public ServerProcess start() {
            return build().start();
        }
    }
}
