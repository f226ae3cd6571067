package dev.omnibus.broker.interceptor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Health;
import dev.omnibus.broker.Health.Status;
import java.time.Instant;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Broker health")
class HealthTest {
    @Test
    @DisplayName("disconnected until connect, connected after, disconnected again after disconnect")
    void lifecycle() {
        LoopbackBroker b = new LoopbackBroker(BrokerOptions.of("loop:"));
        assertThat(b.health().status()).isEqualTo(Status.DISCONNECTED);
        assertThat(b.health().lastError()).isNull();
        Instant before = Instant.now();
        b.connect();
        Health h = b.health();
        assertThat(h.status()).isEqualTo(Status.CONNECTED);
        assertThat(h.isConnected()).isTrue();
        assertThat(h.since()).isAfterOrEqualTo(before);
        assertThat(b.health()).as("a steady state keeps its since").isEqualTo(h);
        b.disconnect();
        assertThat(b.health().status()).isEqualTo(Status.DISCONNECTED);
    }

    @Test
    @DisplayName("connected but not live is RECONNECTING, since the moment it was first seen; back to CONNECTED when live")
    void reconnecting() {
        LoopbackBroker b = LoopbackBroker.connected(BrokerOptions.of("loop:"));
        Instant connectedSince = b.health().since();
        b.live = false;
        Health down = b.health();
        assertThat(down.status()).isEqualTo(Status.RECONNECTING);
        assertThat(down.since()).isAfterOrEqualTo(connectedSince);
        assertThat(b.health().since()).isEqualTo(down.since());
        b.live = true;
        assertThat(b.health().status()).isEqualTo(Status.CONNECTED);
    }

    @Test
    @DisplayName("a backend's reports set since and the last error; the error keeps no password")
    void reports() throws InterruptedException {
        LoopbackBroker b = LoopbackBroker.connected(BrokerOptions.builder().url("loop://bob:s3cret@host:1")
                .credentials("bob", "hunter2").build());
        b.live = false;
        Instant before = Instant.now();
        b.reportLost(new IllegalStateException("lost loop://bob:s3cret@host:1 (auth hunter2, again s3cret)"));
        Health h = b.health();
        assertThat(h.status()).isEqualTo(Status.RECONNECTING);
        assertThat(h.since()).isAfterOrEqualTo(before);
        assertThat(h.lastError()).contains("lost loop://bob:***@host:1").doesNotContain("s3cret").doesNotContain("hunter2");
        assertThat(h.toString()).doesNotContain("s3cret");
        b.live = true;
        b.reportRestored();
        assertThat(b.health().status()).isEqualTo(Status.CONNECTED);
        assertThat(b.health().lastError()).as("the last error stays visible after recovery").isEqualTo(h.lastError());
    }

    @Test
    @DisplayName("a failed connect stays DISCONNECTED and shows the failure, redacted")
    void connectFailure() {
        LoopbackBroker b = new LoopbackBroker(BrokerOptions.of("loop://u:pw123@h"));
        b.connectFailure = LoopbackBroker.refused("could not connect to loop://u:pw123@h: refused");
        assertThatThrownBy(b::connect).hasMessageContaining("refused");
        Health h = b.health();
        assertThat(h.status()).isEqualTo(Status.DISCONNECTED);
        assertThat(h.lastError()).isEqualTo("could not connect to loop://u:***@h: refused");
    }
}
