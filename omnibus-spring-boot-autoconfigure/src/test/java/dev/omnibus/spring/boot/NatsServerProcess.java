package dev.omnibus.spring.boot;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** A private nats-server on a free port, for tests that stop and start it; never the shared one on 4222. */
final class NatsServerProcess implements AutoCloseable {
    private final Path storeDir;
    private final int port;
    private Process process;

    private NatsServerProcess(Path storeDir, int port) {
        this.storeDir = storeDir;
        this.port = port;
    }

    /** Picks a free port where nothing listens yet; {@link #start()} launches the server there. */
    static NatsServerProcess reserve() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        return new NatsServerProcess(Files.createTempDirectory("omnibus-spring-nats"), port);
    }

    void start() throws IOException {
        List<String> cmd = List.of(binary(), "-a", "127.0.0.1", "-p", Integer.toString(port), "-sd", storeDir.toString());
        process = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(storeDir.resolve("server.log").toFile())).start();
        await().atMost(Duration.ofSeconds(10)).until(this::accepts);
    }

    /** Stops the server, as an outage would. */
    void stop() {
        if (process != null) {
            process.destroy();
            await().atMost(Duration.ofSeconds(10)).until(() -> !process.isAlive() && !accepts());
        }
    }

    String url() {
        return "nats://127.0.0.1:" + port;
    }

    private static String binary() {
        for (String candidate : List.of("/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server")) {
            if (new File(candidate).canExecute()) {
                return candidate;
            }
        }
        return "nats-server";
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
        stop();
        try (Stream<Path> files = Files.walk(storeDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
