package dev.omnibus.broker.interceptor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.HandlerInterceptor;
import dev.omnibus.broker.PublishInterceptor;
import dev.omnibus.broker.SubscribeOptions;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Interceptors in the options")
class OptionsTest {
    private final HandlerInterceptor h1 = c -> c.proceed(c.event());
    private final HandlerInterceptor h2 = c -> c.proceed(c.event());
    private final PublishInterceptor p1 = c -> c.proceed(c.message());

    @Test
    @DisplayName("none by default, and toString is unchanged without them")
    void defaults() {
        assertThat(BrokerOptions.of("memory:").interceptors()).isEmpty();
        assertThat(BrokerOptions.of("memory:").publishInterceptors()).isEmpty();
        assertThat(SubscribeOptions.defaults().interceptors()).isEmpty();
        assertThat(SubscribeOptions.defaults().toString()).doesNotContain("interceptors");
        assertThat(BrokerOptions.of("memory:").toString()).doesNotContain("interceptors").endsWith("}");
    }

    @Test
    @DisplayName("kept in order, unmodifiable, carried by toBuilder, counted in toString")
    void lists() {
        BrokerOptions o = BrokerOptions.builder().url("memory:").interceptor(h1).interceptor(h2).publishInterceptor(p1).build();
        assertThat(o.interceptors()).containsExactly(h1, h2);
        assertThat(o.publishInterceptors()).containsExactly(p1);
        assertThatThrownBy(() -> o.interceptors().add(h1)).isInstanceOf(UnsupportedOperationException.class);
        assertThat(o.toBuilder().build().interceptors()).containsExactly(h1, h2);
        assertThat(o.toString()).contains("interceptors=2").contains("publishInterceptors=1");
        assertThat(o.toBuilder().interceptors(List.of()).build().interceptors()).isEmpty();

        SubscribeOptions s = SubscribeOptions.builder().interceptor(h2).interceptor(h1).build();
        assertThat(s.interceptors()).containsExactly(h2, h1);
        assertThatThrownBy(() -> s.interceptors().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThat(s.toBuilder().build().toString()).isEqualTo(s.toString()).contains("interceptors=2");
    }

    @Test
    @DisplayName("a null interceptor is refused at the builder")
    void nulls() {
        assertThatThrownBy(() -> SubscribeOptions.builder().interceptor(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> BrokerOptions.builder().publishInterceptor(null)).isInstanceOf(NullPointerException.class);
    }
}
