package dev.omnibus.broker.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Health;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** health() follows the connection: connected, reconnecting after the server closed it, connected again, disconnected. */
class RabbitMqHealthTest {
    @Test
    @DisplayName("health reports the lost connection with its cause, the recovery, and the disconnect")
    void followsTheConnection() {
        String node = "health-" + Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffL, 36);
        Broker b = Brokers.create(RabbitMqBrokerCompatibilityTest.options(node));
        assertThat(b.health().status()).isEqualTo(Health.Status.DISCONNECTED);
        b.connect();
        try {
            assertThat(b.health().status()).isEqualTo(Health.Status.CONNECTED);
            Instant connectedSince = b.health().since();
            List<Health.Status> seen = new CopyOnWriteArrayList<>();
            Thread watcher = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    Health.Status s = b.health().status();
                    if (seen.isEmpty() || seen.get(seen.size() - 1) != s) {
                        seen.add(s);
                    }
                    Thread.onSpinWait();
                }
            });
            watcher.start();
            RabbitCtl.closeConnectionOf(node);
            await().atMost(Duration.ofSeconds(20)).until(() -> seen.contains(Health.Status.RECONNECTING));
            await().atMost(Duration.ofSeconds(30)).until(() -> b.health().status() == Health.Status.CONNECTED);
            watcher.interrupt();
            Health h = b.health();
            assertThat(h.since()).isAfter(connectedSince);
            assertThat(h.lastError()).isNotBlank().doesNotContain("guest:guest");
            assertThat(new ArrayList<>(seen)).containsSubsequence(Health.Status.CONNECTED, Health.Status.RECONNECTING,
                    Health.Status.CONNECTED);
        } finally {
            b.disconnect();
        }
        assertThat(b.health().status()).isEqualTo(Health.Status.DISCONNECTED);
    }
}
