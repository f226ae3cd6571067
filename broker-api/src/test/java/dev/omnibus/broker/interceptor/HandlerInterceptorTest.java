package dev.omnibus.broker.interceptor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Event;
import dev.omnibus.broker.Handler;
import dev.omnibus.broker.HandlerInterceptor;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Subscription;
import dev.omnibus.broker.interceptor.LoopbackBroker.RecordingEvent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Handler interceptors")
class HandlerInterceptorTest {
    private final List<String> calls = new CopyOnWriteArrayList<>();

    private HandlerInterceptor named(String name) {
        return chain -> {
            calls.add(name + ">");
            chain.proceed(chain.event());
            calls.add("<" + name);
        };
    }

    @Test
    @DisplayName("without interceptors the backend gets the very handler given to subscribe: nothing is wrapped")
    void zeroCost() {
        LoopbackBroker b = LoopbackBroker.connected(BrokerOptions.of("loop:"));
        Handler h = e -> { };
        b.subscribe("a.b", h);
        assertThat(b.handlers.get(0)).isSameAs(h);
    }

    @Test
    @DisplayName("broker interceptors run outermost in registration order, then the subscription's, then the handler")
    void order() {
        LoopbackBroker b = LoopbackBroker.connected(BrokerOptions.builder().url("loop:")
                .interceptor(named("broker1")).interceptor(named("broker2")).build());
        b.subscribe("a.*", e -> calls.add("handler"),
                SubscribeOptions.builder().interceptor(named("sub1")).interceptor(named("sub2")).build());
        RecordingEvent e = b.deliver(0, Message.of("x"), 1);
        assertThat(calls).containsExactly("broker1>", "broker2>", "sub1>", "sub2>", "handler", "<sub2", "<sub1", "<broker2", "<broker1");
        assertThat(e.outcome).isEqualTo("acked");
    }

    @Test
    @DisplayName("the chain tells the pattern, queue, options, broker name and node id of the subscription")
    void chainInfo() {
        AtomicReference<HandlerInterceptor.Chain> seen = new AtomicReference<>();
        LoopbackBroker b = LoopbackBroker.connected(BrokerOptions.builder().url("loop:").nodeId("n1").build());
        SubscribeOptions o = SubscribeOptions.builder().queue("billing").interceptor(c -> {
            seen.set(c);
            c.proceed(c.event());
        }).build();
        b.subscribe("orders.*", e -> { }, o);
        Message m = Message.of("x");
        b.deliver(0, m, 2);
        HandlerInterceptor.Chain c = seen.get();
        assertThat(c.pattern()).isEqualTo("orders.*");
        assertThat(c.queue()).isEqualTo("billing");
        assertThat(c.options()).isSameAs(o);
        assertThat(c.brokerName()).isEqualTo("loopback");
        assertThat(c.nodeId()).isEqualTo("n1");
        assertThat(c.capabilities()).isEqualTo(b.capabilities());
        assertThat(c.event().message()).isSameAs(m);
        assertThat(c.event().deliveryAttempt()).isEqualTo(2);
    }

    @Test
    @DisplayName("an interceptor that throws nacks the delivery with its exception and the subscription keeps working")
    void throwingInterceptorNacks() {
        AtomicInteger handled = new AtomicInteger();
        AtomicInteger call = new AtomicInteger();
        LoopbackBroker b = LoopbackBroker.connected(BrokerOptions.builder().url("loop:").interceptor(c -> {
            if (call.incrementAndGet() == 1) {
                throw new IllegalStateException("interceptor bug");
            }
            c.proceed(c.event());
        }).build());
        Subscription s = b.subscribe("a.b", e -> handled.incrementAndGet());
        RecordingEvent first = b.deliver(0, Message.of("1"), 1);
        assertThat(first.outcome).isEqualTo("nacked");
        assertThat(first.cause).hasMessage("interceptor bug");
        assertThat(handled).hasValue(0);
        assertThat(s.isActive()).isTrue();
        RecordingEvent second = b.deliver(0, Message.of("2"), 1);
        assertThat(second.outcome).isEqualTo("acked");
        assertThat(handled).hasValue(1);
    }

    @Test
    @DisplayName("an Error thrown by an interceptor is a handler failure too")
    void errorNacks() {
        LoopbackBroker b = LoopbackBroker.connected(BrokerOptions.builder().url("loop:").interceptor(c -> {
            throw new AssertionError("boom");
        }).build());
        b.subscribe("a.b", e -> { });
        assertThat(b.deliver(0, Message.of("1"), 1).outcome).isEqualTo("nacked");
    }

    @Test
    @DisplayName("an interceptor that does not proceed consumes the delivery: the handler is not called and auto-ack acks")
    void notProceeding() {
        AtomicInteger handled = new AtomicInteger();
        LoopbackBroker b = LoopbackBroker.connected(BrokerOptions.of("loop:"));
        b.subscribe("a.b", e -> handled.incrementAndGet(), SubscribeOptions.builder().interceptor(c -> { }).build());
        assertThat(b.deliver(0, Message.of("1"), 1).outcome).isEqualTo("acked");
        assertThat(handled).hasValue(0);
    }

    @Test
    @DisplayName("proceed with a delegating event: the handler sees it, and its nack settles the real delivery")
    void delegatingEvent() {
        AtomicReference<Event> handlerSaw = new AtomicReference<>();
        List<String> observed = new CopyOnWriteArrayList<>();
        HandlerInterceptor observing = c -> c.proceed(new Event() {
            @Override
            public String topic() {
                return c.event().topic();
            }

            @Override
            public Message message() {
                return c.event().message();
            }

            @Override
            public int deliveryAttempt() {
                return c.event().deliveryAttempt();
            }

            @Override
            public void ack() {
                observed.add("ack");
                c.event().ack();
            }

            @Override
            public void nack() {
                observed.add("nack");
                c.event().nack();
            }

            @Override
            public void reply(Message reply) {
                c.event().reply(reply);
            }
        });
        LoopbackBroker b = LoopbackBroker.connected(BrokerOptions.of("loop:"));
        b.subscribe("a.b", e -> {
            handlerSaw.set(e);
            e.nack();
        }, SubscribeOptions.builder().autoAck(false).interceptor(observing).build());
        RecordingEvent e = b.deliver(0, Message.of("1"), 1);
        assertThat(handlerSaw.get()).isNotSameAs(e);
        assertThat(observed).containsExactly("nack");
        assertThat(e.outcome).isEqualTo("nacked");
    }

    @Test
    @DisplayName("an interceptor may call proceed again to retry the handler within one delivery")
    void retryInside() {
        AtomicInteger attempts = new AtomicInteger();
        LoopbackBroker b = LoopbackBroker.connected(BrokerOptions.of("loop:"));
        b.subscribe("a.b", e -> {
            if (attempts.incrementAndGet() < 3) {
                throw new IllegalStateException("flaky");
            }
        }, SubscribeOptions.builder().interceptor(c -> {
            for (int i = 0; ; i++) {
                try {
                    c.proceed(c.event());
                    return;
                } catch (IllegalStateException e) {
                    if (i == 4) {
                        throw e;
                    }
                }
            }
        }).build());
        assertThat(b.deliver(0, Message.of("1"), 1).outcome).isEqualTo("acked");
        assertThat(attempts).hasValue(3);
    }

    @Test
    @DisplayName("broker interceptors added by init() apply to subscriptions made after the next connect")
    void viaInit() {
        LoopbackBroker b = new LoopbackBroker(BrokerOptions.of("loop:"));
        b.init(b.options().toBuilder().interceptor(named("late")).build());
        b.connect();
        b.subscribe("a.b", e -> calls.add("handler"));
        b.deliver(0, Message.of("1"), 1);
        assertThat(calls).containsExactly("late>", "handler", "<late");
    }
}
