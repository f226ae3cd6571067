package dev.omnibus.broker.kafka;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.spi.BackendProperty;
import dev.omnibus.broker.spi.BrokerProvider;
import java.util.List;
import java.util.Set;

/**
 * Provider {@code kafka}: URLs {@code kafka://host:9092[,host2:9092]} (the bootstrap servers) and
 * {@code kafka+ssl://user:password@host:9093} (TLS; credentials mean SASL). Creating a broker does
 * no I/O; see {@link KafkaBroker} and broker-kafka/README.md for the properties.
 */
public final class KafkaBrokerProvider implements BrokerProvider {
    public static final String NAME = "kafka";
    public static final String DEFAULT_URL = "kafka://127.0.0.1:9092";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Set<String> schemes() {
        return Set.of("kafka", "kafka+ssl");
    }

    /** Declared in {@link KafkaSettings}; broker-kafka/README.md shows them. */
    @Override
    public List<BackendProperty<?>> properties() {
        return KafkaSettings.PROPERTIES.properties();
    }

    @Override
    public String defaultUrl() {
        return DEFAULT_URL;
    }

    @Override
    public Broker create(BrokerOptions options) {
        return new KafkaBroker(options);
    }
}
