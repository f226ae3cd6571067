package dev.omnibus.spring.boot;

import dev.omnibus.broker.Broker;
import java.util.Objects;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * UP while the broker is connected, DOWN otherwise (never connected yet, reconnecting, or
 * stopped), with the backend, the redacted address, the connection state, since when, and the
 * last (redacted) connection error as details. Cheap: it reads {@link Broker#health()}.
 */
public class OmnibusHealthIndicator implements HealthIndicator {
    private final Broker broker;

    /** Reports on {@code broker}. */
    public OmnibusHealthIndicator(Broker broker) {
        this.broker = Objects.requireNonNull(broker, "broker");
    }

    @Override
    public Health health() {
        dev.omnibus.broker.Health h = broker.health();
        Health.Builder b = h.isConnected() ? Health.up() : Health.down();
        b.withDetail("backend", broker.name())
                .withDetail("address", broker.address())
                .withDetail("state", h.status().name())
                .withDetail("since", h.since().toString());
        if (h.lastError() != null) {
            b.withDetail("lastError", h.lastError());
        }
        return b.build();
    }
}
