package dev.omnibus.broker.nats;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.spi.BackendProperty;
import dev.omnibus.broker.spi.BrokerProvider;
import java.util.List;
import java.util.Set;

/**
 * Provider {@code nats}: URLs {@code nats://host:port} and {@code tls://host:port}, several
 * comma-separated for the servers of one cluster. Add {@code ?jetstream=true} (or the property
 * {@code jetstream=true}) for JetStream mode; see {@link NatsBroker}.
 */
public final class NatsBrokerProvider implements BrokerProvider {
    public static final String NAME = "nats";
    public static final String DEFAULT_URL = "nats://127.0.0.1:4222";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Set<String> schemes() {
        return Set.of("nats", "tls");
    }

    /** Declared in {@link NatsSettings}; broker-nats/README.md shows them. */
    @Override
    public List<BackendProperty<?>> properties() {
        return NatsSettings.PROPERTIES.properties();
    }

    @Override
    public String defaultUrl() {
        return DEFAULT_URL;
    }

    @Override
    public Broker create(BrokerOptions options) {
        return new NatsBroker(options);
    }
}
