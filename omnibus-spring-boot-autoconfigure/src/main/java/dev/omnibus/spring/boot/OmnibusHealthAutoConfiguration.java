package dev.omnibus.spring.boot;

import dev.omnibus.broker.Broker;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The {@code omnibus} health indicator, when Spring Boot's health support (actuator) is on the
 * classpath; {@code management.health.omnibus.enabled=false} turns it off.
 */
@AutoConfiguration(after = OmnibusAutoConfiguration.class)
@ConditionalOnClass({HealthIndicator.class, Broker.class})
@ConditionalOnBean(Broker.class)
public class OmnibusHealthAutoConfiguration {
    /** Health from {@code broker.health()}. */
    @Bean
    @ConditionalOnEnabledHealthIndicator("omnibus") // here, not on the class: its condition class is in the health module
    @ConditionalOnMissingBean(name = "omnibusHealthIndicator")
    public OmnibusHealthIndicator omnibusHealthIndicator(Broker broker) {
        return new OmnibusHealthIndicator(broker);
    }
}
