package dev.omnibus.broker;

import dev.omnibus.broker.spi.BrokerProvider;
import java.util.EnumSet;
import java.util.Set;

/** Test-only provider "alpha" for scheme alpha; registered in src/test/resources/META-INF/services. */
public final class AlphaTestProvider implements BrokerProvider {
    @Override
    public String name() {
        return "alpha";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("alpha");
    }

    @Override
    public String defaultUrl() {
        return "alpha://localhost:1";
    }

    @Override
    public Broker create(BrokerOptions options) {
        return new TrivialBroker(name(), options, EnumSet.noneOf(Capability.class));
    }
}
