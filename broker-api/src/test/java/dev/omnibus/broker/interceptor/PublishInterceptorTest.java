package dev.omnibus.broker.interceptor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Limits;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.NotConnectedException;
import dev.omnibus.broker.PublishException;
import dev.omnibus.broker.PublishInterceptor;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Publish interceptors")
class PublishInterceptorTest {
    private final List<String> calls = new CopyOnWriteArrayList<>();

    private PublishInterceptor header(String name, String value) {
        return chain -> {
            calls.add(name + (chain.isAsync() ? " async" : " sync"));
            return chain.proceed(chain.message().toBuilder().header(name, value).build())
                    .whenComplete((v, e) -> calls.add(name + " done" + (e != null ? " with " + e.getClass().getSimpleName() : "")));
        };
    }

    @Test
    @DisplayName("run in registration order around publish; headers they add reach the backend")
    void addsHeaders() {
        LoopbackBroker b = LoopbackBroker.connected(BrokerOptions.builder().url("loop:")
                .publishInterceptor(header("first", "1")).publishInterceptor(header("second", "2")).build());
        Message m = Message.builder().id("m1").body("x").build();
        b.publish("orders.created", m);
        assertThat(calls).containsExactly("first sync", "second sync", "second done", "first done");
        Message sent = b.published.get(0);
        assertThat(sent.id()).isEqualTo("m1");
        assertThat(sent.header("first")).isEqualTo("1");
        assertThat(sent.header("second")).isEqualTo("2");
    }

    @Test
    @DisplayName("the chain tells topic, message, broker name and node id")
    void chainInfo() {
        AtomicReference<PublishInterceptor.Chain> seen = new AtomicReference<>();
        LoopbackBroker b = LoopbackBroker.connected(BrokerOptions.builder().url("loop:").nodeId("n7").publishInterceptor(c -> {
            seen.set(c);
            return c.proceed(c.message());
        }).build());
        Message m = Message.of("x");
        b.publish("orders.created", m);
        assertThat(seen.get().topic()).isEqualTo("orders.created");
        assertThat(seen.get().message()).isSameAs(m);
        assertThat(seen.get().brokerName()).isEqualTo("loopback");
        assertThat(seen.get().nodeId()).isEqualTo("n7");
        assertThat(b.published).containsExactly(m);
    }

    @Test
    @DisplayName("without interceptors publish goes straight to the backend with the caller's message")
    void zeroCost() {
        LoopbackBroker b = LoopbackBroker.connected(BrokerOptions.of("loop:"));
        Message m = Message.of("x");
        b.publish("a.b", m);
        assertThat(b.published.get(0)).isSameAs(m);
    }

    @Test
    @DisplayName("around publishAsync they complete when the backend's future completes, not before")
    void async() {
        CompletableFuture<Void> backend = new CompletableFuture<>();
        LoopbackBroker b = LoopbackBroker.connected(BrokerOptions.builder().url("loop:").publishInterceptor(header("h", "v")).build());
        b.asyncResult = () -> backend;
        CompletableFuture<Void> f = b.publishAsync("a.b", Message.of("x"));
        assertThat(calls).containsExactly("h async");
        assertThat(f).isNotDone();
        backend.complete(null);
        assertThat(f).isCompleted();
        assertThat(calls).containsExactly("h async", "h done");
    }

    @Test
    @DisplayName("a failing publish reaches them as a failed future, and publish throws the backend's own exception")
    void failure() {
        LoopbackBroker b = LoopbackBroker.connected(BrokerOptions.builder().url("loop:").publishInterceptor(header("h", "v")).build());
        PublishException boom = new PublishException("broker said no");
        b.publishFailure = boom;
        assertThatThrownBy(() -> b.publish("a.b", Message.of("x"))).isSameAs(boom);
        assertThat(calls).containsExactly("h sync", "h done with PublishException");
        calls.clear();
        CompletableFuture<Void> f = b.publishAsync("a.b", Message.of("x"));
        assertThat(f).isCompletedExceptionally();
        assertThat(calls).containsExactly("h async", "h done with PublishException");
    }

    @Test
    @DisplayName("argument and connection errors are thrown before any interceptor runs")
    void validatedFirst() {
        LoopbackBroker b = new LoopbackBroker(BrokerOptions.builder().url("loop:").publishInterceptor(header("h", "v")).build());
        assertThatThrownBy(() -> b.publish("a.*", Message.of("x"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.publishAsync("a.b", Message.of("x"))).isInstanceOf(NotConnectedException.class);
        assertThat(calls).isEmpty();
    }

    @Test
    @DisplayName("a message an interceptor pushes over the header limits is refused with IllegalArgumentException")
    void limitsAfterInterceptor() {
        LoopbackBroker b = LoopbackBroker.connected(BrokerOptions.builder().url("loop:")
                .publishInterceptor(header("big", "x".repeat(Limits.MAX_HEADER_VALUE_BYTES + 1))).build());
        assertThatThrownBy(() -> b.publish("a.b", Message.of("x"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("MAX_HEADER_VALUE_BYTES");
        assertThatThrownBy(() -> b.publishAsync("a.b", Message.of("x"))).isInstanceOf(IllegalArgumentException.class);
        assertThat(b.published).isEmpty();
    }

    @Test
    @DisplayName("an exception thrown by an interceptor reaches the caller at the call and nothing is published")
    void throwing() {
        LoopbackBroker b = LoopbackBroker.connected(BrokerOptions.builder().url("loop:").publishInterceptor(c -> {
            throw new IllegalStateException("interceptor bug");
        }).build());
        assertThatThrownBy(() -> b.publish("a.b", Message.of("x"))).hasMessage("interceptor bug");
        assertThatThrownBy(() -> b.publishAsync("a.b", Message.of("x"))).hasMessage("interceptor bug");
        assertThat(b.published).isEmpty();
    }
}
