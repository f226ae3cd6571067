package dev.omnibus.spring.boot;

import dev.omnibus.broker.BrokerOptions;

/**
 * Changes the options of the auto-configured broker before it is created, e.g. to add an
 * interceptor or an SSL context. Every bean of this type is applied, in {@code @Order}.
 */
@FunctionalInterface
public interface BrokerOptionsCustomizer {
    /** Adjusts {@code options}, already filled from the {@code omnibus.broker.*} properties. */
    void customize(BrokerOptions.Builder options);
}
