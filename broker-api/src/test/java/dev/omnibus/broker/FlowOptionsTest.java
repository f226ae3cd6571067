package dev.omnibus.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class FlowOptionsTest {
    @Test
    @DisplayName("defaults: unlimited, stalls after 1 s, no listener")
    void defaults() {
        FlowOptions o = FlowOptions.defaults();
        assertThat(o.limit()).isEqualTo(FlowOptions.UNLIMITED);
        assertThat(o.slowConsumerAfter()).isEqualTo(FlowOptions.DEFAULT_SLOW_CONSUMER_AFTER);
        assertThat(o.slowConsumerListeners()).isEmpty();
    }

    @Test
    @DisplayName("bad values are refused with the option and the value in the message")
    void badValues() {
        assertThatThrownBy(() -> FlowOptions.builder().limit(-1).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("limit").hasMessageContaining("-1");
        assertThatThrownBy(() -> FlowOptions.builder().slowConsumerAfter(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("slowConsumerAfter").hasMessageContaining("PT0S");
        assertThatThrownBy(() -> FlowOptions.builder().slowConsumerListener(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Subscriptions.publisher(null, "t", SubscribeOptions.defaults()))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("broker");
    }
}
