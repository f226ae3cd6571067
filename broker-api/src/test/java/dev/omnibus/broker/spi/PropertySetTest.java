package dev.omnibus.broker.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.omnibus.broker.BrokerOptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("PropertySet")
class PropertySetTest {
    private static final PropertySet SET = PropertySet.of(
            BackendProperty.ofBoolean("jetstream", false, "JetStream mode"),
            BackendProperty.ofString("stream", "omnibus", "the stream"),
            BackendProperty.ofLong("reconnectBufferSize", 8L << 20, 0, Long.MAX_VALUE, "bytes | buffered").defaultText("8 MiB"));

    @Test
    @DisplayName("declared names pass; an unknown one fails with where, the suggestion and the valid names, never the value")
    void unknownNames() {
        SET.check(BrokerOptions.of("nats://h:4222?jetstream=true&stream=s"), "nats");
        assertThatThrownBy(() -> SET.check(BrokerOptions.of("nats://u:pw@127.0.0.1:4222?jetstrem=true"), "nats"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown property 'jetstrem' for the nats broker at nats://u:***@127.0.0.1:4222?jetstrem=true;"
                        + " did you mean 'jetstream'?; valid names: jetstream, reconnectBufferSize, stream");
        assertThatThrownBy(() -> SET.check(BrokerOptions.builder().url("nats://h").property("token", "s3cret").build(), "nats"))
                .hasMessage("unknown property 'token' for the nats broker at nats://h;"
                        + " valid names: jetstream, reconnectBufferSize, stream")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cret"));
    }

    @Test
    @DisplayName("suggestions ignore case and allow a few typos in long names, none in unrelated ones")
    void suggestions() {
        assertThat(SET.closest("jetStream")).isEqualTo("jetstream");
        assertThat(SET.closest("reconectBuferSize")).isEqualTo("reconnectBufferSize");
        assertThat(SET.closest("streem")).isEqualTo("stream");
        assertThat(SET.closest("password")).isNull();
    }

    @Test
    @DisplayName("the Markdown table has one row per declaration, in order, with default texts and escaped pipes")
    void markdown() {
        assertThat(SET.markdownTable()).isEqualTo("""
                | property | default | meaning |
                |---|---|---|
                | `jetstream` | `false` | JetStream mode |
                | `stream` | `omnibus` | the stream |
                | `reconnectBufferSize` | 8 MiB | bytes \\| buffered |
                """);
        assertThat(SET.names()).containsExactly("jetstream", "reconnectBufferSize", "stream");
        assertThat(SET.properties()).extracting(BackendProperty::name).containsExactly("jetstream", "stream", "reconnectBufferSize");
    }
}
