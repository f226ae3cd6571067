package dev.omnibus.broker.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class JsonCodecTest {
    record Line(String sku, int quantity) {
    }

    record Order(long id, String customer, Instant placedAt, LocalDate due, Duration ttl, OffsetDateTime local,
            List<Line> lines, Map<String, List<Instant>> history, String note) {
    }

    private final JsonCodec codec = JsonCodec.create();

    @Test
    @DisplayName("records with java.time values, nested generics and nulls survive a round trip")
    void roundTrip() {
        Order order = new Order(42, "Ada", Instant.parse("2026-11-22T10:15:30.123456Z"), LocalDate.of(2026, 12, 1),
                Duration.ofMinutes(90), OffsetDateTime.of(2026, 11, 22, 11, 0, 0, 0, ZoneOffset.ofHours(1)),
                List.of(new Line("sku-1", 2), new Line("sku-2", 1)),
                Map.of("paid", List.of(Instant.parse("2026-11-22T10:16:00Z"))), null);
        byte[] json = codec.encode(order);
        assertThat(new String(json, StandardCharsets.UTF_8)).contains("\"placedAt\":\"2026-11-22T10:15:30.123456Z\"")
                .contains("\"note\":null");
        Order back = codec.decode(json, Order.class);
        assertThat(back).isEqualTo(order);
    }

    @Test
    @DisplayName("generic types decode through TypeRef")
    void genericTypes() {
        Map<String, List<Line>> value = Map.of("a", List.of(new Line("x", 1)));
        Map<String, List<Line>> back = codec.decode(codec.encode(value), new TypeRef<Map<String, List<Line>>>() { }.type());
        assertThat(back).isEqualTo(value);
        assertThat(back.get("a").get(0)).isInstanceOf(Line.class);
    }

    @Test
    @DisplayName("a JSON null decodes to null and unknown properties are ignored")
    void nullsAndUnknownProperties() {
        assertThat((Object) codec.decode("null".getBytes(StandardCharsets.UTF_8), Line.class)).isNull();
        Line line = codec.decode("{\"sku\":\"a\",\"quantity\":3,\"addedLater\":true}".getBytes(StandardCharsets.UTF_8), Line.class);
        assertThat(line).isEqualTo(new Line("a", 3));
    }

    @Test
    @DisplayName("a malformed body is a CodecException naming the target type")
    void malformed() {
        assertThatThrownBy(() -> codec.decode("{not json".getBytes(StandardCharsets.UTF_8), Line.class))
                .isInstanceOf(CodecException.class).hasMessageContaining(Line.class.getName());
        assertThatThrownBy(() -> codec.decode("{\"quantity\":\"many\"}".getBytes(StandardCharsets.UTF_8), Line.class))
                .isInstanceOf(CodecException.class).hasMessageContaining("quantity");
    }

    @Test
    @DisplayName("a body cannot choose the class to instantiate: no polymorphic default typing")
    void noDefaultTyping() {
        byte[] hostile = "[\"java.lang.ProcessBuilder\",{\"command\":[\"touch\",\"/tmp/pwned\"]}]".getBytes(StandardCharsets.UTF_8);
        Object decoded = codec.decode(hostile, Object.class);
        assertThat(decoded).isInstanceOf(List.class);
        Object withClassProperty = codec.decode("{\"@class\":\"java.lang.ProcessBuilder\"}".getBytes(StandardCharsets.UTF_8),
                Object.class);
        assertThat(withClassProperty).isInstanceOf(Map.class);
    }

    @Test
    @DisplayName("TypeRef without a type argument is refused")
    void rawTypeRef() {
        @SuppressWarnings("rawtypes")
        class Raw extends TypeRef {
        }
        assertThatThrownBy(Raw::new).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("type argument");
    }
}
