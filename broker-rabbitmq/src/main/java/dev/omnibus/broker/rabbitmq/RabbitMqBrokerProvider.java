package dev.omnibus.broker.rabbitmq;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.spi.BackendProperty;
import dev.omnibus.broker.spi.BrokerProvider;
import java.util.List;
import java.util.Set;

/**
 * Provider {@code rabbitmq}: URLs {@code amqp://user:password@host:5672/vhost?exchange=omnibus} and
 * {@code amqps://...}. Creating a broker does no I/O; see {@link RabbitMqBroker} for the properties.
 */
public final class RabbitMqBrokerProvider implements BrokerProvider {
    public static final String NAME = "rabbitmq";
    public static final String DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Set<String> schemes() {
        return Set.of("amqp", "amqps");
    }

    /** Declared in {@link ConnectionSettings}; broker-rabbitmq/README.md shows them. */
    @Override
    public List<BackendProperty<?>> properties() {
        return ConnectionSettings.PROPERTIES.properties();
    }

    @Override
    public String defaultUrl() {
        return DEFAULT_URL;
    }

    @Override
    public Broker create(BrokerOptions options) {
        return new RabbitMqBroker(options);
    }
}
