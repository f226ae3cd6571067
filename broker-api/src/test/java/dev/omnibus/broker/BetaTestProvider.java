package dev.omnibus.broker;

import dev.omnibus.broker.spi.BrokerProvider;
import java.util.EnumSet;
import java.util.Set;

/** Test-only provider "beta" for schemes beta and betas; registered in src/test/resources/META-INF/services. */
public final class BetaTestProvider implements BrokerProvider {
    @Override
    public String name() {
        return "beta";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("beta", "betas");
    }

    @Override
    public String defaultUrl() {
        return "beta://localhost:2";
    }

    @Override
    public Broker create(BrokerOptions options) {
        return new TrivialBroker(name(), options, EnumSet.allOf(Capability.class));
    }
}
