package dev.omnibus.spring.boot;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.event.Codec;
import dev.omnibus.broker.event.EventBus;
import dev.omnibus.broker.event.JsonCodec;
import dev.omnibus.broker.event.ResourceEvents;
import dev.omnibus.broker.spi.BrokerProvider;
import dev.omnibus.spring.boot.listener.OmnibusListenerRegistrar;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;

/**
 * Auto-configures Omnibus: a {@link Broker} from {@code omnibus.broker.*} (unless the application
 * defines one), its lifecycle, a {@link Codec}, {@link EventBus}, {@link ResourceEvents}, and the
 * {@link dev.omnibus.spring.boot.listener.OmnibusListener @OmnibusListener} methods; Micrometer
 * metrics and OpenTelemetry tracing when their beans exist.
 */
@AutoConfiguration(afterName = "org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration")
@ConditionalOnClass(Broker.class)
@EnableConfigurationProperties(OmnibusProperties.class)
public class OmnibusAutoConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(OmnibusAutoConfiguration.class);

    /** The broker, created disconnected; {@link OmnibusBrokerLifecycle} connects it. */
    @Bean
    @ConditionalOnMissingBean(Broker.class)
    public Broker omnibusBroker(OmnibusProperties properties, ObjectProvider<OmnibusConnectionDetails> connectionDetails,
            ObjectProvider<BrokerOptionsCustomizer> customizers) {
        BrokerOptions options = brokerOptions(properties, connectionDetails.getIfAvailable(),
                customizers.orderedStream().toList());
        Broker broker = Brokers.create(options);
        LOG.info("Omnibus broker: {} at {}", broker.name(), broker.address());
        return broker;
    }

    /** The broker options the properties, connection details and customizers describe. */
    static BrokerOptions brokerOptions(OmnibusProperties p, OmnibusConnectionDetails details, List<BrokerOptionsCustomizer> customizers) {
        BrokerOptions.Builder b = BrokerOptions.builder();
        String url = details != null ? details.url() : p.getUrl();
        if (url == null || url.isBlank()) {
            url = defaultUrl();
        }
        b.urls(Arrays.stream(url.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList());
        String user = details != null && details.username() != null ? details.username() : p.getUsername();
        String password = details != null && details.password() != null ? details.password() : p.getPassword();
        if (user != null || password != null) {
            b.credentials(user, password);
        }
        if (p.getNodeId() != null) {
            b.nodeId(p.getNodeId());
        }
        if (p.getConnectTimeout() != null) {
            b.connectTimeout(p.getConnectTimeout());
        }
        if (p.getPublishTimeout() != null) {
            b.publishTimeout(p.getPublishTimeout());
        }
        if (p.getShutdownTimeout() != null) {
            b.shutdownTimeout(p.getShutdownTimeout());
        }
        p.getProperties().forEach(b::property);
        customizers.forEach(c -> c.customize(b));
        return b.build();
    }

    /** Brokers.fromEnvironment()'s rules: the configured URL, else the only provider's default, else its error. */
    private static String defaultUrl() {
        String url = Brokers.configuredUrl();
        if (url != null) {
            return url;
        }
        List<BrokerProvider> all = Brokers.providers();
        if (all.size() == 1) {
            return all.get(0).defaultUrl();
        }
        // none or several: let Brokers explain, naming every provider and how to choose
        try (Broker unexpected = Brokers.fromEnvironment()) {
            return unexpected.options().url();
        } catch (RuntimeException e) {
            throw new IllegalStateException(e.getMessage() + ", or set omnibus.broker.url", e);
        }
    }

    /** Connects the broker on start and disconnects it on stop. */
    @Bean
    @ConditionalOnMissingBean
    public OmnibusBrokerLifecycle omnibusBrokerLifecycle(Broker broker, OmnibusProperties properties) {
        return new OmnibusBrokerLifecycle(broker, properties.getStartup(), properties.getStartupRetryInterval());
    }

    /**
     * Omnibus' own Jackson 2 {@link JsonCodec}, unless the application has a Codec or a Jackson 3
     * JsonMapper ({@link Jackson3CodecConfiguration}, a member class and so considered first).
     */
    @Bean
    @ConditionalOnMissingBean(Codec.class)
    public Codec omnibusJsonCodec() {
        return JsonCodec.create();
    }

    /** Typed events over the broker, with the codec. */
    @Bean
    @ConditionalOnMissingBean
    public EventBus omnibusEventBus(Broker broker, Codec codec) {
        return EventBus.create(broker, codec);
    }

    /** Created/updated/deleted events of resources over the event bus. */
    @Bean
    @ConditionalOnMissingBean
    public ResourceEvents omnibusResourceEvents(EventBus eventBus) {
        return new ResourceEvents(eventBus);
    }

    /** Subscribes the {@code @OmnibusListener} methods. */
    @Bean
    @ConditionalOnMissingBean
    public static OmnibusListenerRegistrar omnibusListenerRegistrar() {
        return new OmnibusListenerRegistrar();
    }

    /** The application's Jackson 3 {@code JsonMapper} (Boot's default) encodes events, unless json-mapper=omnibus. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "tools.jackson.databind.json.JsonMapper")
    @ConditionalOnBean(type = "tools.jackson.databind.json.JsonMapper")
    @ConditionalOnProperty(prefix = "omnibus.broker", name = "json-mapper", havingValue = "application", matchIfMissing = true)
    static class Jackson3CodecConfiguration {
        @Bean
        @ConditionalOnMissingBean(Codec.class)
        Codec omnibusJackson3Codec(tools.jackson.databind.json.JsonMapper mapper) {
            return new Jackson3Codec(mapper);
        }
    }

    /** broker-micrometer's interceptors, when a MeterRegistry bean exists. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"dev.omnibus.broker.micrometer.OmnibusMetrics", "io.micrometer.core.instrument.MeterRegistry"})
    static class MetricsConfiguration {
        @Bean
        @Order(0)
        BrokerOptionsCustomizer omnibusMetricsCustomizer(ObjectProvider<io.micrometer.core.instrument.MeterRegistry> registry) {
            return options -> {
                io.micrometer.core.instrument.MeterRegistry r = registry.getIfUnique();
                if (r != null) {
                    dev.omnibus.broker.micrometer.OmnibusMetrics.create(r).instrument(options);
                }
            };
        }
    }

    /** broker-opentelemetry's interceptors, when an OpenTelemetry bean exists. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"dev.omnibus.broker.opentelemetry.OmnibusTracing", "io.opentelemetry.api.OpenTelemetry"})
    static class TracingConfiguration {
        @Bean
        @Order(1)
        BrokerOptionsCustomizer omnibusTracingCustomizer(ObjectProvider<io.opentelemetry.api.OpenTelemetry> openTelemetry) {
            return options -> {
                io.opentelemetry.api.OpenTelemetry otel = openTelemetry.getIfUnique();
                if (otel != null) {
                    dev.omnibus.broker.opentelemetry.OmnibusTracing.create(otel).instrument(options);
                }
            };
        }
    }
}
