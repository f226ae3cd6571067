package dev.omnibus.broker.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.ConnectionException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The amqps:// configuration path, against a TLS endpoint in this JVM with a self-signed
 * certificate generated here (no RabbitMQ TLS listener is available): the client must verify the
 * server with the configured context, and refuse it with the JVM's default trust store.
 */
class RabbitMqTlsTest {
    private static Path dir;
    private static SSLServerSocket server;
    private static final AtomicReference<String> lastHandshake = new AtomicReference<>("none");

    @BeforeAll
    static void startTlsEndpoint() throws Exception {
        dir = Files.createTempDirectory("omnibus-rabbit-tls");
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString());
        run("openssl", "pkcs12", "-export", "-in", dir.resolve("cert.pem").toString(), "-inkey", dir.resolve("key.pem").toString(),
                "-out", dir.resolve("server.p12").toString(), "-passout", "pass:changeit");
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve("server.p12"))) {
            keys.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, "changeit".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        server = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0);
        Thread acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try (SSLSocket s = (SSLSocket) server.accept()) {
                    try {
                        s.startHandshake();
                        lastHandshake.set("ok");
                    } catch (java.io.IOException e) {
                        lastHandshake.set("failed: " + e.getMessage());
                    }
                } catch (java.io.IOException e) {
                    // closed
                }
            }
        }, "tls-endpoint");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();
    }

    private static SSLContext trusting(Path certPem) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(certPem)) {
            trust.setCertificateEntry("server", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private static Broker broker(SSLContext ctx) {
        BrokerOptions.Builder b = BrokerOptions.builder().url("amqps://guest:guest@127.0.0.1:" + server.getLocalPort())
                .connectTimeout(Duration.ofSeconds(3));
        if (ctx != null) {
            b.sslContext(ctx);
        }
        return Brokers.create(b.build());
    }

    @Test
    @DisplayName("amqps:// with a context trusting the server's certificate completes the TLS handshake")
    void configuredContextIsUsed() throws Exception {
        lastHandshake.set("none");
        Broker b = broker(trusting(dir.resolve("cert.pem")));
        // the endpoint speaks TLS but not AMQP, so connect fails after the handshake
        assertThat(catchThrowable(b::connect)).isInstanceOf(ConnectionException.class);
        await().atMost(Duration.ofSeconds(10)).until(() -> !lastHandshake.get().equals("none"));
        assertThat(lastHandshake.get()).isEqualTo("ok");
    }

    @Test
    @DisplayName("amqps:// without a context verifies against the JVM's trust store and refuses a self-signed server")
    void defaultTrustRefusesUnknownServer() {
        lastHandshake.set("none");
        Broker b = broker(null);
        Throwable failure = catchThrowable(b::connect);
        assertThat(failure).isInstanceOf(ConnectionException.class).hasMessageContaining("127.0.0.1:" + server.getLocalPort());
        await().atMost(Duration.ofSeconds(10)).until(() -> !lastHandshake.get().equals("none"));
        assertThat(lastHandshake.get()).startsWith("failed");
        assertThat(b.isConnected()).isFalse();
    }
}
