package dev.omnibus.broker.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.ConnectionException;
import dev.omnibus.broker.Message;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Credential failures against a private nats-server with --user/--pass. */
class NatsFaultTest {
    private static NatsServerProcess server;

    @BeforeAll
    static void start() throws Exception {
        server = NatsServerProcess.start("--user", "omni", "--pass", "right-pass-42");
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    @DisplayName("wrong credentials in the URL: clear ConnectionException, no password anywhere")
    void wrongPasswordInUrl() {
        Broker b = Brokers.create(BrokerOptions.builder().url("nats://omni:Wr0ng-Secret@127.0.0.1:" + server.port())
                .connectTimeout(Duration.ofSeconds(3)).build());
        long start = System.nanoTime();
        assertThatThrownBy(b::connect).isInstanceOf(ConnectionException.class)
                .hasMessageContaining("refused the credentials")
                .hasMessageContaining("nats://omni:***@127.0.0.1:" + server.port())
                .satisfies(e -> assertThat(NatsCoreBrokerTest.fullTrace(e)).doesNotContain("Wr0ng-Secret"));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
        assertThat(b.address() + b + b.options()).doesNotContain("Wr0ng-Secret");
    }

    @Test
    @DisplayName("wrong credentials given to the builder: clear ConnectionException, no password")
    void wrongPasswordInOptions() {
        Broker b = Brokers.create(BrokerOptions.builder().url(server.url()).credentials("omni", "Other-Secret")
                .connectTimeout(Duration.ofSeconds(3)).build());
        assertThatThrownBy(b::connect).isInstanceOf(ConnectionException.class)
                .hasMessageContaining("refused the credentials")
                .satisfies(e -> assertThat(NatsCoreBrokerTest.fullTrace(e)).doesNotContain("Other-Secret"));
    }

    @Test
    @DisplayName("right credentials connect and carry messages")
    void rightPassword() throws Exception {
        try (Broker b = Brokers.create(BrokerOptions.builder().url(server.url()).credentials("omni", "right-pass-42").build())) {
            b.connect();
            b.subscribe("ping", e -> e.reply(Message.of("pong")));
            assertThat(b.request("ping", Message.of("x"), Duration.ofSeconds(5)).get().bodyAsString()).isEqualTo("pong");
        }
    }

    @Test
    @DisplayName("a token in the URL never shows in address() or toString()")
    void tokenHidden() {
        Broker b = Brokers.create("nats://T0ken-Value-9@127.0.0.1:" + server.port());
        assertThat(b.address() + b).doesNotContain("T0ken-Value-9");
    }
}
