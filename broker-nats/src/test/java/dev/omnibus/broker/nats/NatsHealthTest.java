package dev.omnibus.broker.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Health;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** health() follows the connection to a private nats-server that is stopped and started again. */
class NatsHealthTest {
    @Test
    @DisplayName("health is RECONNECTING while the server is down and CONNECTED again after it returns")
    void followsTheServer() throws Exception {
        try (NatsServerProcess server = NatsServerProcess.start()) {
            Broker b = Brokers.create(BrokerOptions.builder().url(server.url() + "?reconnectWait=PT0.2S").build());
            b.connect();
            try {
                assertThat(b.health().status()).isEqualTo(Health.Status.CONNECTED);
                Instant first = b.health().since();
                server.stop();
                await().atMost(Duration.ofSeconds(20)).until(() -> b.health().status() == Health.Status.RECONNECTING);
                server.restart();
                await().atMost(Duration.ofSeconds(30)).until(() -> b.health().status() == Health.Status.CONNECTED);
                assertThat(b.health().since()).isAfter(first);
            } finally {
                b.disconnect();
            }
            assertThat(b.health().status()).isEqualTo(Health.Status.DISCONNECTED);
        }
    }
}
