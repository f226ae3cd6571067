package dev.omnibus.broker.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.spi.BrokerProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Memory broker discovery")
class MemoryBrokerEnvironmentTest {
    private String savedProperty;

    @BeforeEach
    void clearProperty() {
        savedProperty = System.getProperty(Brokers.URL_PROPERTY);
        System.clearProperty(Brokers.URL_PROPERTY);
    }

    @AfterEach
    void restoreProperty() {
        if (savedProperty == null) {
            System.clearProperty(Brokers.URL_PROPERTY);
        } else {
            System.setProperty(Brokers.URL_PROPERTY, savedProperty);
        }
    }

    @Test
    @DisplayName("with only broker-api and broker-memory on the classpath and no URL, fromEnvironment returns a private memory broker")
    void fromEnvironmentWithoutUrl() {
        assumeTrue(System.getenv(Brokers.URL_ENV) == null, "OMNIBUS_BROKER_URL is set in this environment");
        assertThat(Brokers.providers()).extracting(BrokerProvider::name).containsExactly("memory");
        Broker b = Brokers.fromEnvironment();
        assertThat(b).isInstanceOf(MemoryBroker.class);
        assertThat(b.name()).isEqualTo("memory");
        assertThat(b.options().url()).isEqualTo("memory:");
        assertThat(b.isConnected()).isFalse();
    }

    @Test
    @DisplayName("fromEnvironment honours -Domnibus.broker.url, also for a named memory bus")
    void fromEnvironmentWithProperty() {
        System.setProperty(Brokers.URL_PROPERTY, "memory://from-env?bufferSize=8");
        Broker b = Brokers.fromEnvironment();
        assertThat(b.name()).isEqualTo("memory");
        assertThat(b.options().url()).isEqualTo("memory://from-env?bufferSize=8");
        assertThat(b.options().properties()).containsEntry("bufferSize", "8");
        assertThat(b.address()).isEqualTo("memory://from-env?bufferSize=8");
    }
}
