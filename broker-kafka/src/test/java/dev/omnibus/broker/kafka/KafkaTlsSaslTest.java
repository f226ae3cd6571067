package dev.omnibus.broker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.ConnectionException;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.tck.Inbox;
import dev.omnibus.broker.tck.LocalKafkaServer;
import dev.omnibus.broker.tck.LogCapture;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code kafka+ssl://} and SASL/PLAIN against a broker of the fixture's own with a TLS listener (a
 * self-signed certificate made here with the JDK's {@code keytool}, trusted through the JVM's trust
 * store as the README says) and a SASL_PLAINTEXT listener with one user.
 */
@DisplayName("Kafka TLS and SASL")
class KafkaTlsSaslTest {
    private static final String STORE_PASSWORD = "St0re-pass-" + Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffL, 36);
    private static final String PASSWORD = "Sasl-pa55-" + Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffL, 36);
    private static Path dir;
    private static LocalKafkaServer server;
    private final List<Broker> brokers = new ArrayList<>();
    private final List<String> topics = new ArrayList<>();

    @BeforeAll
    static void startServer() throws Exception {
        dir = Files.createTempDirectory("omnibus-kafka-tls");
        Path keystore = dir.resolve("server.p12");
        Path cert = dir.resolve("server.pem");
        keytool("-genkeypair", "-alias", "kafka", "-keyalg", "RSA", "-keysize", "2048", "-validity", "1", "-dname", "CN=localhost",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12", "-keystore", keystore.toString(),
                "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD);
        keytool("-exportcert", "-rfc", "-alias", "kafka", "-keystore", keystore.toString(), "-storepass", STORE_PASSWORD,
                "-file", cert.toString());
        keytool("-importcert", "-noprompt", "-alias", "kafka", "-file", cert.toString(), "-storetype", "PKCS12",
                "-keystore", dir.resolve("trust.p12").toString(), "-storepass", STORE_PASSWORD);
        server = LocalKafkaServer.start(Map.of(
                "listener.name.tls.ssl.keystore.location", keystore.toString(),
                "listener.name.tls.ssl.keystore.password", STORE_PASSWORD,
                "listener.name.tls.ssl.key.password", STORE_PASSWORD,
                "listener.name.tls.ssl.keystore.type", "PKCS12",
                "sasl.enabled.mechanisms", "PLAIN",
                "listener.name.sasl.plain.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required user_alice=\"" + PASSWORD + "\";"),
                Map.of("TLS", "SSL", "SASL", "SASL_PLAINTEXT"));
    }

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "keytool");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("keytool finished").isTrue();
        assertThat(p.exitValue()).as("keytool " + args[0] + ": " + out).isZero();
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    @AfterEach
    void cleanUp() throws Exception {
        brokers.forEach(Broker::disconnect);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + server.port()))) {
            admin.deleteTopics(topics).all().get(30, TimeUnit.SECONDS);
        }
    }

    private Broker broker(String url) {
        Broker b = Brokers.create(BrokerOptions.builder().url(url).nodeId("tls-" + Long.toString(System.nanoTime(), 36))
                .connectTimeout(Duration.ofSeconds(10)).publishTimeout(Duration.ofSeconds(10)).shutdownTimeout(Duration.ofSeconds(5))
                .build());
        brokers.add(b);
        return b;
    }

    private void assertCarries(Broker b) {
        String topic = "tls.t" + Long.toString(System.nanoTime(), 36);
        topics.add(topic);
        Inbox inbox = new Inbox();
        b.subscribe(topic, inbox);
        Message m = Message.of("secured");
        b.publish(topic, m);
        inbox.awaitIds(List.of(m.id()), Duration.ofSeconds(20));
    }

    @Test
    @DisplayName("kafka+ssl:// with the server's self-signed certificate in the JVM's trust store connects and carries messages")
    void tls() {
        String[] keys = {"javax.net.ssl.trustStore", "javax.net.ssl.trustStorePassword", "javax.net.ssl.trustStoreType"};
        String[] before = new String[keys.length];
        for (int i = 0; i < keys.length; i++) {
            before[i] = System.getProperty(keys[i]);
        }
        System.setProperty(keys[0], dir.resolve("trust.p12").toString());
        System.setProperty(keys[1], STORE_PASSWORD);
        System.setProperty(keys[2], "PKCS12");
        try {
            Broker b = broker("kafka+ssl://127.0.0.1:" + server.listenerPort("TLS"));
            b.connect();
            assertCarries(b);
        } finally {
            for (int i = 0; i < keys.length; i++) {
                if (before[i] == null) {
                    System.clearProperty(keys[i]);
                } else {
                    System.setProperty(keys[i], before[i]);
                }
            }
        }
    }

    @Test
    @DisplayName("SASL/PLAIN with the right password connects and carries messages")
    void saslRight() {
        Broker b = broker("kafka://alice:" + PASSWORD + "@127.0.0.1:" + server.listenerPort("SASL"));
        b.connect();
        assertCarries(b);
    }

    @Test
    @DisplayName("SASL/PLAIN with a wrong password fails connect with a clear ConnectionException; the password shows nowhere")
    void saslWrong() {
        String wrong = "Wr0ng-" + PASSWORD;
        Broker b = broker("kafka://alice:" + wrong + "@127.0.0.1:" + server.listenerPort("SASL"));
        Throwable failure;
        String logged;
        try (LogCapture log = LogCapture.start()) {
            failure = catchThrowable(b::connect);
            logged = log.text();
        }
        assertThat(failure).isInstanceOf(ConnectionException.class).hasMessageContaining("access refused")
                .hasMessageContaining("'alice'").hasMessageContaining("127.0.0.1:" + server.listenerPort("SASL"));
        StringWriter trace = new StringWriter();
        failure.printStackTrace(new PrintWriter(trace));
        assertThat(trace.toString()).as("the exception and its causes").doesNotContain(wrong);
        assertThat(logged).as("the log").doesNotContain(wrong);
        assertThat(b.toString() + b.address() + b.health()).doesNotContain(wrong);
    }
}
