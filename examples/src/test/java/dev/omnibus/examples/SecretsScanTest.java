package dev.omnibus.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.tck.BrokerServers;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Runs the failure paths of every backend with a known password (wrong credentials, nothing
 * listening, unknown scheme, bad input, use before connect) and scans everything a person could
 * see — exception messages and stack traces with their causes, {@code address()},
 * {@code toString()}, and every log line written meanwhile — for that password.
 */
class SecretsScanTest {
    private static final String SECRET = "Sup3r-S3cret-" + Long.toString(System.nanoTime() % 100_000, 36);

    @Test
    @DisplayName("no password of any URL shows in exceptions, strings or logs of the failure paths")
    void passwordNeverShows() throws Exception {
        StringBuilder seen = new StringBuilder();
        PrintStream originalErr = System.err;
        PrintStream originalOut = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream tee = new PrintStream(captured, true, StandardCharsets.UTF_8);
        NatsServer auth = startNatsWithUser();
        int authPort = auth.port();
        try {
            System.setErr(tee);
            System.setOut(tee);
            String rabbit = URI.create(BrokerServers.rabbitMqUrl()).getAuthority().replaceFirst(".*@", "");
            List<String> urls = List.of(
                    "amqp://guest:" + SECRET + "@" + rabbit,
                    "amqp://user:" + SECRET + "@127.0.0.1:1",
                    "amqps://user:" + SECRET + "@127.0.0.1:1/vhost",
                    "nats://alice:" + SECRET + "@127.0.0.1:" + authPort,
                    "nats://" + SECRET + "@127.0.0.1:" + authPort,
                    "nats://alice:" + SECRET + "@127.0.0.1:1",
                    "tls://alice:" + SECRET + "@127.0.0.1:1",
                    "memory://bus?password=" + SECRET,
                    "bogus://user:" + SECRET + "@host:1");
            for (String url : urls) {
                Broker b = capture(seen, () -> Brokers.create(BrokerOptions.builder().url(url)
                        .connectTimeout(Duration.ofSeconds(2)).build()));
                if (b == null) {
                    continue;
                }
                seen.append(b.address()).append('\n').append(b).append('\n').append(b.options()).append('\n');
                capture(seen, () -> {
                    b.publish("secrets.before.connect", Message.of("x"));
                    return null;
                });
                capture(seen, () -> {
                    b.connect();
                    return null;
                });
                capture(seen, () -> {
                    b.publish("bad topic", Message.of("x"));
                    return null;
                });
                capture(seen, () -> {
                    b.init(b.options().toBuilder().property("overflow", "sideways").build());
                    return null;
                });
                seen.append(b.health()).append('\n');
                b.disconnect();
            }
            Broker explicit = Brokers.create(BrokerOptions.builder().url("amqp://" + rabbit).credentials("guest", SECRET)
                    .connectTimeout(Duration.ofSeconds(2)).build());
            seen.append(explicit).append(explicit.options()).append('\n');
            capture(seen, () -> {
                explicit.connect();
                return null;
            });
        } finally {
            System.setErr(originalErr);
            System.setOut(originalOut);
            auth.process().destroy();
        }
        String everything = seen + captured.toString(StandardCharsets.UTF_8);
        assertThat(everything).as("the scan saw the failures it provoked").contains("refused").contains("no broker provider");
        assertThat(everything).doesNotContain(SECRET);
    }

    /** Runs {@code action}, recording the message and full stack trace (with causes) of whatever it throws. */
    private static <T> T capture(StringBuilder seen, Supplier<T> action) {
        try {
            return action.get();
        } catch (RuntimeException e) {
            StringWriter trace = new StringWriter();
            e.printStackTrace(new PrintWriter(trace));
            seen.append(trace).append('\n');
            return null;
        }
    }

    private record NatsServer(Process process, int port) {
    }

    private static NatsServer startNatsWithUser() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String binary = new File("/usr/sbin/nats-server").canExecute() ? "/usr/sbin/nats-server" : "nats-server";
        Process p = new ProcessBuilder(binary, "-a", "127.0.0.1", "-p", Integer.toString(port), "--user", "alice",
                "--pass", "the-right-one").redirectErrorStream(true)
                .redirectOutput(Files.createTempFile("nats-auth", ".log").toFile()).start();
        int finalPort = port;
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", finalPort), 200);
                return true;
            } catch (java.io.IOException e) {
                return false;
            }
        });
        return new NatsServer(p, port);
    }
}
