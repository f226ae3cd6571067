package dev.omnibus.broker.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The fixtures a backend author uses: address parsing for any scheme, the server-process fixture, found servers. */
class FixturesTest {
    @Test
    @DisplayName("host and port of any scheme; a URL of an unknown scheme without a port is a clear error, never another backend's port")
    void hostPortForAnyScheme() {
        assertThat(BrokerServers.hostPort("redis://127.0.0.1:6379")).isEqualTo("127.0.0.1:6379");
        assertThat(BrokerServers.hostPort("kafka://k1:9092,kafka://k2:9092")).isEqualTo("k1:9092");
        assertThat(BrokerServers.hostPort("amqp://guest:guest@127.0.0.1")).isEqualTo("127.0.0.1:5672");
        assertThat(BrokerServers.hostPort("nats://127.0.0.1")).isEqualTo("127.0.0.1:4222");
        assertThatThrownBy(() -> BrokerServers.hostPort("redis://127.0.0.1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no default port for scheme 'redis'").hasMessageContaining("redis://host:port");
        assertThat(BrokerServers.portOf(URI.create("kafka+ssl://h"))).isEqualTo(9093);
    }

    @Test
    @DisplayName("no server: the message names the backend's scheme and address and says how to provide one, without NATS or RabbitMQ advice")
    void noServerMessage() {
        int port = ServerProcess.freePort();
        assertThatThrownBy(() -> BrokerServers.requireListening("redis://127.0.0.1:" + port))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no redis server")
                .hasMessageContaining("127.0.0.1:" + port).hasMessageContaining("ServerProcess")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("OMNIBUS_NATS_URL").doesNotContain("RABBITMQ"));
        assertThat(BrokerServers.restartVariableFor("redis://127.0.0.1:1")).isEqualTo("OMNIBUS_REDIS_RESTART");
        assertThat(ExternalServer.of("redis://127.0.0.1:" + port, "a Redis", null, null).whyNoRestart())
                .contains("OMNIBUS_REDIS_RESTART");
    }

    @Test
    @DisplayName("a server process: started on its port, killed (-9) and started again with its data, stopped, closed")
    void serverProcessFaults() {
        Assumptions.assumeTrue(BrokerServers.natsServerBinaryAvailable(), "needs nats-server on this machine");
        try (LocalNatsServer nats = LocalNatsServer.start()) {
            assertThat(BrokerServers.accepts(nats.url())).isTrue();
            nats.kill();
            assertThat(nats.isRunning()).isFalse();
            assertThat(BrokerServers.accepts(nats.url())).isFalse();
            nats.startAgain();
            assertThat(BrokerServers.accepts(nats.url())).isTrue();
            nats.restart();
            assertThat(nats.isRunning()).isTrue();
            nats.stop();
            assertThat(BrokerServers.accepts(nats.url())).isFalse();
        }
    }

    @Test
    @DisplayName("a server process that exits at once fails to start with its command and log named")
    void serverProcessThatExits() {
        int port = ServerProcess.freePort();
        ServerProcess p = ServerProcess.builder("false").command("sh", "-c", "exit 3").url("x://127.0.0.1:" + port).port(port)
                .dataDirectory(ServerProcess.tempDirectory("false")).build();
        try {
            assertThatThrownBy(p::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("exited with code 3")
                    .hasMessageContaining("exit 3").hasMessageContaining(".log");
        } finally {
            p.close();
        }
    }
}
