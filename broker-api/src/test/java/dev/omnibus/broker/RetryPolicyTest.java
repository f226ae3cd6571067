package dev.omnibus.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RetryPolicyTest {
    @Test
    void defaultsAreOneSecondFixedAndFiveDeliveries() {
        RetryPolicy p = RetryPolicy.defaults();
        assertThat(p.maxDeliveries()).isEqualTo(5);
        assertThat(p.delayAfter(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(p.delayAfter(4)).isEqualTo(Duration.ofSeconds(1));
        assertThat(p.jitter()).isZero();
        assertThat(SubscribeOptions.defaults().retry()).isEqualTo(p);
    }

    @Test
    void exponentialGrowsToItsCapWithinTheJitterBounds() {
        RetryPolicy p = RetryPolicy.exponential(Duration.ofMillis(100), 2.0, Duration.ofSeconds(1));
        assertThat(p.jitter()).isEqualTo(RetryPolicy.DEFAULT_JITTER);
        assertThat(p.maxDelayAfter(1)).isEqualTo(Duration.ofMillis(100));
        assertThat(p.maxDelayAfter(2)).isEqualTo(Duration.ofMillis(200));
        assertThat(p.maxDelayAfter(4)).isEqualTo(Duration.ofMillis(800));
        assertThat(p.maxDelayAfter(5)).isEqualTo(Duration.ofSeconds(1));
        assertThat(p.maxDelayAfter(60)).isEqualTo(Duration.ofSeconds(1));
        assertThat(p.minDelayAfter(4)).isEqualTo(Duration.ofMillis(640));
        for (int attempt = 1; attempt < 10; attempt++) {
            for (int i = 0; i < 200; i++) {
                Duration d = p.delayAfter(attempt);
                assertThat(d).isBetween(p.minDelayAfter(attempt), p.maxDelayAfter(attempt));
            }
        }
    }

    @Test
    void jitterSpreadsDelays() {
        RetryPolicy p = RetryPolicy.fixed(Duration.ofSeconds(1)).withJitter(0.5);
        long distinct = Stream.generate(() -> p.delayAfter(1)).limit(50).distinct().count();
        assertThat(distinct).isGreaterThan(10);
        assertThat(p.minDelayAfter(1)).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void nonRetryableMatchesSubtypesAndCauses() {
        RetryPolicy p = RetryPolicy.defaults().nonRetryable(IllegalArgumentException.class);
        assertThat(p.isRetryable(new IllegalStateException("x"))).isTrue();
        assertThat(p.isRetryable(new NumberFormatException("x"))).isFalse();
        assertThat(p.isRetryable(new RuntimeException("wrap", new IllegalArgumentException()))).isFalse();
        assertThat(p.isRetryable(null)).as("an explicit nack").isTrue();
        assertThat(p.retriesAfter(1, new IllegalStateException())).isTrue();
        assertThat(p.retriesAfter(5, new IllegalStateException())).isFalse();
        assertThat(p.retriesAfter(1, new IllegalArgumentException())).isFalse();
        assertThat(p.nonRetryable(UncheckedIOException.class).nonRetryableTypes())
                .containsExactly(IllegalArgumentException.class, UncheckedIOException.class);
    }

    static Stream<Arguments> badValues() {
        return Stream.of(
                Arguments.of((Supplier<?>) () -> RetryPolicy.fixed(Duration.ofMillis(-1)), "retry delay must not be negative, was PT-0.001S"),
                Arguments.of((Supplier<?>) () -> RetryPolicy.exponential(Duration.ofMillis(100), 0.5, Duration.ofSeconds(1)),
                        "retry multiplier must be a finite number of at least 1, was 0.5"),
                Arguments.of((Supplier<?>) () -> RetryPolicy.exponential(Duration.ofMillis(100), Double.NaN, Duration.ofSeconds(1)),
                        "retry multiplier must be a finite number of at least 1, was NaN"),
                Arguments.of((Supplier<?>) () -> RetryPolicy.exponential(Duration.ZERO, 2, Duration.ofSeconds(1)),
                        "exponential retry needs a positive initial delay, was PT0S"),
                Arguments.of((Supplier<?>) () -> RetryPolicy.exponential(Duration.ofSeconds(2), 2, Duration.ofSeconds(1)),
                        "max retry delay PT1S is shorter than the initial delay PT2S"),
                Arguments.of((Supplier<?>) () -> RetryPolicy.fixed(Duration.ofDays(2)), "retry delay must be at most PT24H, was PT48H"),
                Arguments.of((Supplier<?>) () -> RetryPolicy.defaults().withJitter(1.5), "retry jitter must be between 0 and 1, was 1.5"),
                Arguments.of((Supplier<?>) () -> RetryPolicy.defaults().withMaxDeliveries(0), "maxDeliveries must be at least 1, was 0"));
    }

    @ParameterizedTest
    @MethodSource("badValues")
    void outOfRangeValuesNameTheValue(Supplier<?> build, String message) {
        assertThatThrownBy(build::get).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(message);
    }

    @Test
    void shorthandsEditThePolicy() {
        RetryPolicy exp = RetryPolicy.exponential(Duration.ofMillis(100), 2, Duration.ofSeconds(5)).nonRetryable(IllegalArgumentException.class);
        SubscribeOptions o = SubscribeOptions.builder().retry(exp).maxDeliveries(9).build();
        assertThat(o.retry()).isEqualTo(exp.withMaxDeliveries(9));
        assertThat(o.maxDeliveries()).isEqualTo(9);
        assertThat(o.redeliveryDelay()).isEqualTo(Duration.ofMillis(100));

        SubscribeOptions fixed = o.toBuilder().redeliveryDelay(Duration.ofMillis(20)).build();
        assertThat(fixed.retry().maxDelayAfter(3)).isEqualTo(Duration.ofMillis(20));
        assertThat(fixed.retry().maxDeliveries()).isEqualTo(9);
        assertThat(fixed.retry().nonRetryableTypes()).containsExactly(IllegalArgumentException.class);

        SubscribeOptions replaced = SubscribeOptions.builder().maxDeliveries(2).retry(RetryPolicy.defaults()).build();
        assertThat(replaced.maxDeliveries()).as("retry(...) replaces earlier shorthands").isEqualTo(5);
        assertThat(o.toBuilder().build().retry()).isEqualTo(o.retry());
        assertThat(o.toString()).contains("exponential PT0.1S x2.0 up to PT5S").contains("maxDeliveries 9").contains("IllegalArgumentException");
    }

    @Test
    void retryPolicyMustNotBeNull() {
        assertThatThrownBy(() -> SubscribeOptions.builder().retry(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("RetryPolicy.defaults()");
    }
}
