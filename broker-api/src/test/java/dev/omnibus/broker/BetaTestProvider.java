package dev.omnibus.broker;

import dev.omnibus.broker.spi.BackendProperty;
import dev.omnibus.broker.spi.BrokerProvider;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Test-only provider "beta" for schemes beta and betas, declaring properties {@code flavour} and
 * {@code depth} (alpha declares none); registered in src/test/resources/META-INF/services.
 */
public final class BetaTestProvider implements BrokerProvider {
    static final List<BackendProperty<?>> PROPERTIES = List.of(
            BackendProperty.ofString("flavour", "plain", "what it tastes of"),
            BackendProperty.ofInt("depth", 1, 1, 9, "how deep"));

    @Override
    public String name() {
        return "beta";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("beta", "betas");
    }

    @Override
    public List<BackendProperty<?>> properties() {
        return PROPERTIES;
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
