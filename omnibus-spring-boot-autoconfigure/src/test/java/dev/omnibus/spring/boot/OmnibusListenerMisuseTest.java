package dev.omnibus.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omnibus.broker.Broker;
import dev.omnibus.spring.boot.listener.Header;
import dev.omnibus.spring.boot.listener.OmnibusListener;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** A misused {@code @OmnibusListener} fails the startup with a message naming the bean and the method. */
class OmnibusListenerMisuseTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(OmnibusAutoConfiguration.class))
            .withPropertyValues("omnibus.broker.url=memory:");

    record Order(String id) {
    }

    static class BadPattern {
        @OmnibusListener(topic = "orders.>.created")
        void on(Order order) {
        }
    }

    static class TwoPayloads {
        @OmnibusListener(topic = "orders")
        void on(Order order, String other) {
        }
    }

    static class UnknownParameter {
        @OmnibusListener(topic = "orders")
        void on(Order order, Broker broker) {
        }
    }

    static class BadHeaderType {
        @OmnibusListener(topic = "orders")
        void on(@Header("tenant") java.util.concurrent.Executor tenant) {
        }
    }

    static class Durable {
        @OmnibusListener(topic = "orders", queue = "billing", durable = true)
        void on(Order order) {
        }
    }

    static class Unresolved {
        @OmnibusListener(topic = "${no.such.property}")
        void on(Order order) {
        }
    }

    private void failsWith(Class<?> listener, String... parts) {
        runner.withBean("myListener", listener).run(ctx -> {
            assertThat(ctx).hasFailed();
            Throwable t = ctx.getStartupFailure();
            StringBuilder all = new StringBuilder();
            for (Throwable c = t; c != null; c = c.getCause()) {
                all.append(c.getMessage()).append('\n');
            }
            assertThat(all.toString()).contains("myListener").contains(listener.getSimpleName() + ".on(").contains(parts);
        });
    }

    @Test
    void aBadPattern() {
        failsWith(BadPattern.class, "'>' before the last token");
    }

    @Test
    void twoPayloadParameters() {
        failsWith(TwoPayloads.class, "two payload parameters");
    }

    @Test
    void anUnknownParameterType() {
        failsWith(UnknownParameter.class, "unknown type dev.omnibus.broker.Broker");
    }

    @Test
    void aHeaderTypeThatDoesNotConvert() {
        failsWith(BadHeaderType.class, "@Header(\"tenant\")", "java.util.concurrent.Executor");
    }

    @Test
    void aCapabilityTheBackendLacks() {
        failsWith(Durable.class, "DURABLE_SUBSCRIPTIONS", "memory");
    }

    @Test
    void anUnresolvablePlaceholder() {
        runner.withBean("myListener", Unresolved.class).run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(ctx.getStartupFailure()).hasStackTraceContaining("no.such.property");
        });
    }
}
