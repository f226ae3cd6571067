package dev.omnibus.broker.nats;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** A private nats-server for tests that need their own (auth, limits, restarts); never the shared one. */
final class NatsServerProcess implements AutoCloseable {
    private final Path storeDir;
    private final int port;
    private final List<String> command;
    private Process process;

    private NatsServerProcess(Path storeDir, int port, List<String> command) {
        this.storeDir = storeDir;
        this.port = port;
        this.command = command;
    }

    static NatsServerProcess start(String... extraArgs) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path dir = Files.createTempDirectory("omnibus-nats-test");
        List<String> cmd = new ArrayList<>(List.of(binary(), "-a", "127.0.0.1", "-p", Integer.toString(port), "-js", "-sd", dir.toString()));
        cmd.addAll(List.of(extraArgs));
        NatsServerProcess server = new NatsServerProcess(dir, port, cmd);
        server.launch();
        return server;
    }

    private void launch() throws IOException {
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(storeDir.resolve("server.log").toFile())).start();
        await().atMost(Duration.ofSeconds(10)).until(this::accepts);
    }

    /** Stops the server (keeping its store), as an outage would. */
    void stop() {
        process.destroy();
        await().atMost(Duration.ofSeconds(10)).until(() -> !process.isAlive() && !accepts());
    }

    /** Kills the server (SIGKILL, keeping its store), as a crash would: it answers nothing it was sent. */
    void kill() {
        process.destroyForcibly();
        await().atMost(Duration.ofSeconds(10)).until(() -> !process.isAlive() && !accepts());
    }

    /** Starts it again on the same port with the same store. */
    void restart() throws IOException {
        launch();
    }

    private static String binary() {
        for (String candidate : List.of("/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server")) {
            if (new File(candidate).canExecute()) {
                return candidate;
            }
        }
        return "nats-server";
    }

    int port() {
        return port;
    }

    String url() {
        return "nats://127.0.0.1:" + port;
    }

    private boolean accepts() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        process.destroy();
        await().atMost(Duration.ofSeconds(10)).until(() -> !process.isAlive());
        try (Stream<Path> files = Files.walk(storeDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
