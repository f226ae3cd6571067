package dev.omnibus.broker.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.OverflowPolicy;
import dev.omnibus.broker.spi.BackendProperty;
import dev.omnibus.broker.tck.PropertiesReadme;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("memory backend properties")
class MemoryPropertiesTest {

    @Test
    @DisplayName("the provider declares every property the memory broker reads")
    void declared() {
        assertThat(new MemoryBrokerProvider().properties()).extracting(BackendProperty::name)
                .containsExactly("bufferSize", "overflow", "blockTimeout", "maxMessageBytes");
    }

    @Test
    @DisplayName("an unknown property fails at Brokers.create and at init, naming it, the bus and the valid names")
    void unknownName() {
        assertThatThrownBy(() -> Brokers.create("memory://shop?bufferSzie=8"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown property 'bufferSzie' for the memory broker at memory://shop?bufferSzie=8;"
                        + " did you mean 'bufferSize'?; valid names: blockTimeout, bufferSize, maxMessageBytes, overflow");
        Broker b = Brokers.create("memory:");
        assertThatThrownBy(() -> b.init(BrokerOptions.builder().url("memory:").property("password", "s3cret").build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown property 'password'").hasMessageContaining("valid names: blockTimeout")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cret"));
    }

    @Test
    @DisplayName("values parse to their declared types; a bad one names the property and the value")
    void values() {
        MemorySettings s = MemorySettings.parse(BrokerOptions.of("memory://x?bufferSize=8&overflow=drop-oldest&blockTimeout=250"));
        assertThat(s.busName()).isEqualTo("x");
        assertThat(s.bufferSize()).isEqualTo(8);
        assertThat(s.overflow()).isEqualTo(OverflowPolicy.DROP_OLDEST);
        assertThat(s.blockTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(s.maxMessageBytes()).isEqualTo(MemoryBroker.DEFAULT_MAX_MESSAGE_BYTES);
        assertThatThrownBy(() -> Brokers.create("memory:?blockTimeout=-PT1S"))
                .hasMessage("property 'blockTimeout' must not be negative, was PT-1S");
        assertThatThrownBy(() -> Brokers.create("memory:?overflow=sideways"))
                .hasMessage("property 'overflow' must be one of block, drop_oldest, drop_newest, fail, was 'sideways'");
    }

    @Test
    @DisplayName("the root README's memory properties table is generated from the declarations")
    void readme() {
        PropertiesReadme.assertUpToDate(Path.of("..", "README.md"), MemorySettings.PROPERTIES, MemoryPropertiesTest.class);
    }
}
