package dev.omnibus.broker.spi;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import java.util.List;
import java.util.Set;

/**
 * Creates brokers of one backend. Implementations are listed in
 * {@code META-INF/services/dev.omnibus.broker.spi.BrokerProvider} and found with
 * {@link java.util.ServiceLoader}; they need a public no-argument constructor and must be cheap
 * to construct (no I/O).
 */
public interface BrokerProvider {
    /** Short unique name, e.g. {@code nats}. */
    String name();

    /** URL schemes this provider accepts, lower case, e.g. {@code nats} and {@code tls}. */
    Set<String> schemes();

    /** The URL used when this is the only provider and no URL is configured. */
    String defaultUrl();

    /**
     * The backend properties this provider understands, declared once (see {@link BackendProperty}).
     * When the list is not empty, {@link dev.omnibus.broker.Brokers#create(BrokerOptions)} refuses
     * any other property name before calling {@link #create}; the default, an empty list, means
     * "not declared" and nothing is checked, so providers written before this method keep working.
     */
    default List<BackendProperty<?>> properties() {
        return List.of();
    }

    /** A new, disconnected broker. Must not do I/O. Invalid options are an IllegalArgumentException. */
    Broker create(BrokerOptions options);
}
