package dev.omnibus.broker.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.OverflowPolicy;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("BackendProperty")
class BackendPropertyTest {
    private static final BackendProperty<Boolean> FLAG = BackendProperty.ofBoolean("flag", false, "a switch");
    private static final BackendProperty<Integer> REPLICAS = BackendProperty.ofInt("replicas", 1, 1, 5, "copies");
    private static final BackendProperty<Long> BYTES = BackendProperty.ofLong("bytes", 8, 0, Long.MAX_VALUE, "buffer");
    private static final BackendProperty<Duration> WAIT = BackendProperty.ofDuration("wait", Duration.ofSeconds(2), "pause")
            .where(d -> d.compareTo(Duration.ZERO) > 0, "must be positive");
    private static final BackendProperty<String> NAME = BackendProperty.ofString("name", "omnibus", "the name")
            .where(s -> s.matches("[a-z]{1,8}"), "must be 1 to 8 lower-case letters");
    private static final BackendProperty<OverflowPolicy> POLICY =
            BackendProperty.ofChoice("policy", OverflowPolicy.class, OverflowPolicy.BLOCK, "when full");

    @Test
    @DisplayName("unset or empty text is the default; set text is parsed to the declared type")
    void typedValues() {
        assertThat(FLAG.parse(null)).isFalse();
        assertThat(FLAG.parse("")).isFalse();
        assertThat(FLAG.parse("TRUE")).isTrue();
        assertThat(REPLICAS.parse(" 3 ")).isEqualTo(3);
        assertThat(BYTES.parse("9000000000")).isEqualTo(9_000_000_000L);
        assertThat(WAIT.parse("250")).isEqualTo(Duration.ofMillis(250));
        assertThat(WAIT.parse("PT1M")).isEqualTo(Duration.ofMinutes(1));
        assertThat(NAME.parse(null)).isEqualTo("omnibus");
        assertThat(NAME.parse("orders")).isEqualTo("orders");
        assertThat(POLICY.parse("drop-oldest")).isEqualTo(OverflowPolicy.DROP_OLDEST);
        assertThat(POLICY.parse("Fail")).isEqualTo(OverflowPolicy.FAIL);
        assertThat(BackendProperty.ofString("credentials", null, "file").parse(null)).isNull();
    }

    @ParameterizedTest(name = "[{index}] {0}={1}")
    @CsvSource(delimiter = '|', value = {
            "flag     | yes     | property 'flag' must be true or false, was 'yes'",
            "replicas | many    | property 'replicas' must be a whole number, was 'many'",
            "replicas | 6       | property 'replicas' must be between 1 and 5, was 6",
            "bytes    | -1      | property 'bytes' must be between 0 and 9223372036854775807, was -1",
            "wait     | soon    | property 'wait' must be milliseconds (2000) or an ISO-8601 duration (PT2S), was 'soon'",
            "wait     | PT0S    | property 'wait' must be positive, was PT0S",
            "name     | Orders  | property 'name' must be 1 to 8 lower-case letters, was 'Orders'",
            "policy   | sideways| property 'policy' must be one of block, drop_oldest, drop_newest, fail, was 'sideways'",
    })
    @DisplayName("a bad value is an IllegalArgumentException naming the property, the rule and the value")
    void badValues(String property, String value, String message) {
        BackendProperty<?> p = PropertySet.of(FLAG, REPLICAS, BYTES, WAIT, NAME, POLICY).find(property).orElseThrow();
        assertThatThrownBy(() -> p.parse(value)).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    @Test
    @DisplayName("value reads the options' properties (URL and explicit), with the declared or a given default")
    void fromOptions() {
        BrokerOptions o = BrokerOptions.builder().url("x://h?replicas=2&policy=fail").property("flag", "true").build();
        assertThat(REPLICAS.value(o)).isEqualTo(2);
        assertThat(POLICY.value(o)).isEqualTo(OverflowPolicy.FAIL);
        assertThat(FLAG.value(o)).isTrue();
        assertThat(WAIT.value(o)).isEqualTo(Duration.ofSeconds(2));
        BackendProperty<Duration> age = BackendProperty.ofDuration("age", null, "depends").defaultText("`P7D` or unlimited");
        assertThat(age.value(o, Duration.ZERO)).isEqualTo(Duration.ZERO);
        assertThat(age.defaultText()).isEqualTo("`P7D` or unlimited");
    }

    @Test
    @DisplayName("the kind, rule and default text describe the declaration")
    void describes() {
        assertThat(REPLICAS.kind()).isEqualTo(BackendProperty.Kind.INTEGER);
        assertThat(REPLICAS.rule()).isEqualTo("a whole number from 1 to 5");
        assertThat(WAIT.rule()).isEqualTo("milliseconds (2000) or an ISO-8601 duration (PT2S); must be positive");
        assertThat(NAME.rule()).isEqualTo("must be 1 to 8 lower-case letters");
        assertThat(POLICY.rule()).isEqualTo("one of block, drop_oldest, drop_newest, fail");
        assertThat(POLICY.defaultText()).isEqualTo("`block`");
        assertThat(WAIT.defaultText()).isEqualTo("`PT2S`");
        assertThat(BackendProperty.ofString("credentials", null, "file").defaultText()).isEqualTo("none");
    }

    @Test
    @DisplayName("declarations with a bad name or a default out of range are refused")
    void badDeclarations() {
        assertThatThrownBy(() -> BackendProperty.ofBoolean("bad name", true, "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BackendProperty.ofInt("n", 0, 1, 5, "x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside 1 to 5");
        assertThatThrownBy(() -> PropertySet.of(FLAG, FLAG)).hasMessageContaining("declared twice");
    }
}
