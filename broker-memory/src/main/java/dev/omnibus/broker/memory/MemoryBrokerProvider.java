package dev.omnibus.broker.memory;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.spi.BackendProperty;
import dev.omnibus.broker.spi.BrokerProvider;
import java.util.List;
import java.util.Set;

/**
 * Provider {@code memory}: URLs {@code memory:} (a private bus) and {@code memory://name} (a bus
 * shared by every broker of this JVM that uses the same name).
 */
public final class MemoryBrokerProvider implements BrokerProvider {
    public static final String NAME = "memory";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Set<String> schemes() {
        return Set.of("memory");
    }

    @Override
    public List<BackendProperty<?>> properties() {
        return MemorySettings.PROPERTIES.properties();
    }

    @Override
    public String defaultUrl() {
        return "memory:";
    }

    @Override
    public Broker create(BrokerOptions options) {
        return new MemoryBroker(options);
    }
}
