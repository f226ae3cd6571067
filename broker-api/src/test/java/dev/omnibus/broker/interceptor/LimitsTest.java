package dev.omnibus.broker.interceptor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Limits;
import dev.omnibus.broker.Message;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Header limits")
class LimitsTest {
    private final LoopbackBroker broker = LoopbackBroker.connected(BrokerOptions.of("loop:"));
    private final LoopbackBroker disconnected = new LoopbackBroker(BrokerOptions.of("loop:"));

    private static Message withHeaders(int count) {
        Message.Builder b = Message.builder().id("m1");
        for (int i = 1; i < count; i++) {
            b.header("h" + i, "v");
        }
        return b.build();
    }

    @Test
    @DisplayName("a message at every limit is published")
    void atTheLimits() {
        assertThatCode(() -> broker.publish("a.b", withHeaders(Limits.MAX_HEADERS))).doesNotThrowAnyException();
        assertThatCode(() -> broker.publish("a.b", Message.builder()
                .header("n".repeat(Limits.MAX_HEADER_NAME_BYTES), "v")
                .header("big", "v".repeat(Limits.MAX_HEADER_VALUE_BYTES)).build())).doesNotThrowAnyException();
        assertThat(broker.published).hasSize(2);
    }

    @Test
    @DisplayName("too many headers: the message names the limit and the count, before the connection is checked")
    void count() {
        assertThatThrownBy(() -> disconnected.publish("a.b", withHeaders(Limits.MAX_HEADERS + 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has 65 headers").hasMessageContaining("limit of 64").hasMessageContaining("MAX_HEADERS")
                .hasMessageContaining("'a.b'");
    }

    @Test
    @DisplayName("a header name longer than the limit, counted in UTF-8 bytes")
    void nameLength() {
        String name = "é".repeat(128); // 256 bytes in 128 chars
        assertThatThrownBy(() -> broker.publish("a.b", Message.builder().header(name, "v").build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is 256 bytes").hasMessageContaining("limit of 255").hasMessageContaining("MAX_HEADER_NAME_BYTES");
    }

    @Test
    @DisplayName("a header value longer than the limit names the header")
    void valueLength() {
        Message m = Message.builder().header("payload", "€".repeat(6000)).build(); // 18000 bytes
        assertThatThrownBy(() -> broker.publishAsync("a.b", m))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'payload'").hasMessageContaining("is 18000 bytes").hasMessageContaining("limit of 16384");
    }

    @Test
    @DisplayName("all headers together over the total limit")
    void total() {
        Message.Builder b = Message.builder();
        for (int i = 0; i < 5; i++) {
            b.header("part" + i, "x".repeat(Limits.MAX_HEADER_VALUE_BYTES));
        }
        assertThatThrownBy(() -> broker.publish("a.b", b.build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bytes in total").hasMessageContaining("limit of 65536").hasMessageContaining("MAX_HEADER_BYTES");
        assertThat(broker.published).isEmpty();
    }

    @Test
    @DisplayName("request checks the same limits")
    void request() {
        assertThatThrownBy(() -> broker.request("a.b", withHeaders(100), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MAX_HEADERS");
    }

    @Test
    @DisplayName("surrogate pairs count four bytes")
    void surrogates() {
        String name = "😀".repeat(63) + "abc"; // 63 * 4 + 3 = 255 bytes
        assertThatCode(() -> Limits.checkHeaders("a.b", Message.builder().header(name, "v").build())).doesNotThrowAnyException();
        assertThatThrownBy(() -> Limits.checkHeaders("a.b", Message.builder().header(name + "d", "v").build()))
                .hasMessageContaining("is 256 bytes");
    }
}
