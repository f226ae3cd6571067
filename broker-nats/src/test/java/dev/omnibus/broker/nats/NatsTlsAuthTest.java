package dev.omnibus.broker.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.ConnectionException;
import dev.omnibus.broker.tck.Inbox;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * TLS and authentication against private nats-server processes: one with a self-signed
 * certificate generated here, one with a user and password, one with a token.
 */
class NatsTlsAuthTest {
    private static final String PASSWORD = "Pa55-w0rd-tls-test";
    private static final String TOKEN = "T0ken-tls-test-42";
    private static Path dir;
    private static NatsServerProcess tlsServer;
    private static NatsServerProcess userServer;
    private static NatsServerProcess tokenServer;
    private final List<Broker> brokers = new ArrayList<>();

    @BeforeAll
    static void startServers() throws Exception {
        dir = Files.createTempDirectory("omnibus-nats-tls");
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString())
                .redirectErrorStream(true).start();
        assertThat(openssl.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(openssl.exitValue()).as(new String(openssl.getInputStream().readAllBytes())).isZero();
        tlsServer = NatsServerProcess.start("--tls", "--tlscert", dir.resolve("cert.pem").toString(),
                "--tlskey", dir.resolve("key.pem").toString());
        userServer = NatsServerProcess.start("--user", "alice", "--pass", PASSWORD);
        tokenServer = NatsServerProcess.start("--auth", TOKEN);
    }

    @AfterAll
    static void stopServers() throws Exception {
        for (NatsServerProcess s : new NatsServerProcess[] {tlsServer, userServer, tokenServer}) {
            if (s != null) {
                s.close();
            }
        }
    }

    @AfterEach
    void disconnect() {
        brokers.forEach(Broker::disconnect);
    }

    private Broker broker(BrokerOptions options) {
        Broker b = Brokers.create(options);
        brokers.add(b);
        return b;
    }

    private static SSLContext trusting(Path certPem) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(certPem)) {
            Certificate cert = CertificateFactory.getInstance("X.509").generateCertificate(in);
            trust.setCertificateEntry("test-server", cert);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private static void assertWorks(Broker b) {
        Inbox inbox = new Inbox();
        b.subscribe("tls.check", inbox);
        b.publish("tls.check", dev.omnibus.broker.Message.of("over tls"));
        inbox.awaitCount(1, Duration.ofSeconds(10));
    }

    @Test
    @DisplayName("tls:// with a context that trusts the server's certificate connects and carries messages")
    void rightTrust() throws Exception {
        Broker b = broker(BrokerOptions.builder().url("tls://127.0.0.1:" + tlsServer.port())
                .sslContext(trusting(dir.resolve("cert.pem"))).build());
        b.connect();
        assertWorks(b);
    }

    @Test
    @DisplayName("tls:// with the default trust store fails clearly within the connect timeout, naming the address")
    void wrongTrust() {
        Broker b = broker(BrokerOptions.builder().url("tls://127.0.0.1:" + tlsServer.port())
                .connectTimeout(Duration.ofSeconds(3)).build());
        long start = System.nanoTime();
        Throwable failure = catchThrowable(b::connect);
        assertThat(failure).isInstanceOf(ConnectionException.class).hasMessageContaining("127.0.0.1:" + tlsServer.port());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(13));
        assertThat(b.isConnected()).isFalse();
    }

    @Test
    @DisplayName("user and password: right ones connect; wrong ones fail clearly without the password anywhere")
    void userPassword() {
        Broker ok = broker(BrokerOptions.builder().url("nats://alice:" + PASSWORD + "@127.0.0.1:" + userServer.port()).build());
        ok.connect();
        assertWorks(ok);
        assertThat(ok.address()).doesNotContain(PASSWORD);
        assertThat(ok.toString()).doesNotContain(PASSWORD);

        String wrong = PASSWORD + "-wrong";
        Broker bad = broker(BrokerOptions.builder().url("nats://127.0.0.1:" + userServer.port())
                .credentials("alice", wrong).connectTimeout(Duration.ofSeconds(3)).build());
        Throwable failure = catchThrowable(bad::connect);
        assertThat(failure).isInstanceOf(ConnectionException.class).hasMessageContaining("credentials");
        for (Throwable c = failure; c != null; c = c.getCause()) {
            assertThat(String.valueOf(c.getMessage())).doesNotContain(wrong).doesNotContain(PASSWORD);
        }
    }

    @Test
    @DisplayName("a credentials file that cannot be read is refused at connect, naming the property and the path")
    void unreadableCredentialsFile() {
        Broker b = broker(BrokerOptions.builder().url("nats://127.0.0.1:" + tokenServer.port())
                .property(NatsBroker.CREDENTIALS_PROPERTY, "/nonexistent/user.creds").build());
        Throwable failure = catchThrowable(b::connect);
        assertThat(failure).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("credentials").hasMessageContaining("/nonexistent/user.creds");
    }

    @Test
    @DisplayName("a token in the URL connects and never shows in address() or toString()")
    void token() {
        Broker b = broker(BrokerOptions.builder().url("nats://" + TOKEN + "@127.0.0.1:" + tokenServer.port()).build());
        b.connect();
        assertWorks(b);
        assertThat(b.address()).doesNotContain(TOKEN);
        assertThat(b.toString()).doesNotContain(TOKEN);
        assertThat(b.options().toString()).doesNotContain(TOKEN);

        Broker bad = broker(BrokerOptions.builder().url("nats://wrong-" + TOKEN + "@127.0.0.1:" + tokenServer.port())
                .connectTimeout(Duration.ofSeconds(3)).build());
        Throwable failure = catchThrowable(bad::connect);
        assertThat(failure).isInstanceOf(ConnectionException.class);
        for (Throwable c = failure; c != null; c = c.getCause()) {
            assertThat(String.valueOf(c.getMessage())).doesNotContain(TOKEN);
        }
    }
}
