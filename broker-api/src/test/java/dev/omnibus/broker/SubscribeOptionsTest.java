package dev.omnibus.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("SubscribeOptions")
class SubscribeOptionsTest {

    @Test
    @DisplayName("defaults: broadcast, auto-ack, concurrency 1, the named constants everywhere else")
    void defaults() {
        SubscribeOptions d = SubscribeOptions.defaults();
        assertThat(d.queue()).isNull();
        assertThat(d.autoAck()).isTrue();
        assertThat(d.concurrency()).isEqualTo(1).isEqualTo(SubscribeOptions.DEFAULT_CONCURRENCY);
        assertThat(d.prefetch()).isEqualTo(SubscribeOptions.DEFAULT_PREFETCH);
        assertThat(d.durable()).isFalse();
        assertThat(d.maxDeliveries()).isEqualTo(SubscribeOptions.DEFAULT_MAX_DELIVERIES);
        assertThat(d.redeliveryDelay()).isEqualTo(SubscribeOptions.DEFAULT_REDELIVERY_DELAY);
        assertThat(d.deadLetterTopic()).isNull();
        assertThat(d.bufferSize()).isEqualTo(SubscribeOptions.DEFAULT_BUFFER_SIZE);
        assertThat(d.overflow()).isEqualTo(OverflowPolicy.BLOCK).isEqualTo(SubscribeOptions.DEFAULT_OVERFLOW);
        assertThat(d.blockTimeout()).isEqualTo(SubscribeOptions.DEFAULT_BLOCK_TIMEOUT);
        assertThat(SubscribeOptions.builder().build().toString()).isEqualTo(d.toString());
    }

    @Test
    @DisplayName("every option set on the builder is kept, and toBuilder reproduces them")
    void roundTrip() {
        SubscribeOptions o = SubscribeOptions.builder().queue("billing").autoAck(false).concurrency(4).prefetch(10)
                .durable(true).maxDeliveries(3).redeliveryDelay(Duration.ofMillis(5)).deadLetterTopic("dead.billing")
                .bufferSize(7).overflow(OverflowPolicy.DROP_OLDEST).blockTimeout(Duration.ZERO).build();
        assertThat(o.queue()).isEqualTo("billing");
        assertThat(o.autoAck()).isFalse();
        assertThat(o.concurrency()).isEqualTo(4);
        assertThat(o.prefetch()).isEqualTo(10);
        assertThat(o.durable()).isTrue();
        assertThat(o.maxDeliveries()).isEqualTo(3);
        assertThat(o.redeliveryDelay()).isEqualTo(Duration.ofMillis(5));
        assertThat(o.deadLetterTopic()).isEqualTo("dead.billing");
        assertThat(o.bufferSize()).isEqualTo(7);
        assertThat(o.overflow()).isEqualTo(OverflowPolicy.DROP_OLDEST);
        assertThat(o.blockTimeout()).isZero();
        assertThat(o.toBuilder().build().toString()).isEqualTo(o.toString());
        assertThat(o.toBuilder().concurrency(2).build().concurrency()).isEqualTo(2);
        assertThat(o.concurrency()).as("toBuilder does not change the original").isEqualTo(4);
    }

    static Stream<Arguments> outOfRange() {
        return Stream.of(
                Arguments.of("concurrency", (UnaryOperator<SubscribeOptions.Builder>) b -> b.concurrency(0), "concurrency must be at least 1, was 0"),
                Arguments.of("concurrency", (UnaryOperator<SubscribeOptions.Builder>) b -> b.concurrency(-3), "concurrency must be at least 1, was -3"),
                Arguments.of("prefetch", (UnaryOperator<SubscribeOptions.Builder>) b -> b.prefetch(-1), "prefetch must be at least 1, was -1"),
                Arguments.of("maxDeliveries", (UnaryOperator<SubscribeOptions.Builder>) b -> b.maxDeliveries(0), "maxDeliveries must be at least 1, was 0"),
                Arguments.of("bufferSize", (UnaryOperator<SubscribeOptions.Builder>) b -> b.bufferSize(0), "bufferSize must be at least 1, was 0"),
                Arguments.of("redeliveryDelay", (UnaryOperator<SubscribeOptions.Builder>) b -> b.redeliveryDelay(Duration.ofMillis(-5)),
                        "redeliveryDelay must not be negative, was PT-0.005S"),
                Arguments.of("blockTimeout", (UnaryOperator<SubscribeOptions.Builder>) b -> b.blockTimeout(Duration.ofSeconds(-2)),
                        "blockTimeout must not be negative, was PT-2S"));
    }

    @ParameterizedTest(name = "[{index}] {0}: {2}")
    @MethodSource("outOfRange")
    @DisplayName("out-of-range values are rejected naming the option and the offending value")
    void outOfRangeValues(String option, UnaryOperator<SubscribeOptions.Builder> change, String message) {
        assertThatThrownBy(() -> change.apply(SubscribeOptions.builder()).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    @DisplayName("zero redelivery delay and zero block timeout are allowed")
    void zeroDurationsAllowed() {
        SubscribeOptions o = SubscribeOptions.builder().redeliveryDelay(Duration.ZERO).blockTimeout(Duration.ZERO).build();
        assertThat(o.redeliveryDelay()).isZero();
    }

    @Test
    @DisplayName("null durations and policy are NullPointerExceptions naming the option")
    void nulls() {
        assertThatThrownBy(() -> SubscribeOptions.builder().redeliveryDelay(null).build())
                .isInstanceOf(NullPointerException.class).hasMessageContaining("redeliveryDelay");
        assertThatThrownBy(() -> SubscribeOptions.builder().overflow(null).build())
                .isInstanceOf(NullPointerException.class).hasMessageContaining("overflow");
        assertThatThrownBy(() -> SubscribeOptions.builder().blockTimeout(null).build())
                .isInstanceOf(NullPointerException.class).hasMessageContaining("blockTimeout");
    }

    @Test
    @DisplayName("durable without a queue group is rejected, saying to set queue(...)")
    void durableNeedsQueue() {
        assertThatThrownBy(() -> SubscribeOptions.builder().durable(true).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("durable(true) needs a queue group")
                .hasMessageContaining("queue(\"name\")");
        assertThat(SubscribeOptions.builder().durable(true).queue("q").build().durable()).isTrue();
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @ValueSource(strings = {"bad name", "a/b", "a*b", "q:1", "tab\tq", "grüße"})
    @DisplayName("a queue name with a character outside [A-Za-z0-9-_.] is rejected quoting the name")
    void badQueueNames(String queue) {
        assertThatThrownBy(() -> SubscribeOptions.builder().queue(queue).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("queue group name '" + queue + "'")
                .hasMessageContaining("at index")
                .hasMessageContaining("letters, digits");
    }

    @Test
    @DisplayName("an empty or too long queue name is rejected with its length")
    void queueNameLength() {
        assertThatThrownBy(() -> SubscribeOptions.builder().queue("").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 to 128 characters, was 0");
        assertThatThrownBy(() -> SubscribeOptions.builder().queue("q".repeat(129)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("was 129");
        assertThat(SubscribeOptions.builder().queue("q".repeat(128)).build().queue()).hasSize(128);
    }

    @Test
    @DisplayName("the dead-letter topic must be a valid concrete topic")
    void deadLetterTopicValidated() {
        assertThatThrownBy(() -> SubscribeOptions.builder().deadLetterTopic("dead.*").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wildcard").hasMessageContaining("'dead.*'");
        assertThatThrownBy(() -> SubscribeOptions.builder().deadLetterTopic("dead..x").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty token");
    }
}
