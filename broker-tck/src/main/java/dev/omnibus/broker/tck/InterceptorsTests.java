package dev.omnibus.broker.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.HandlerInterceptor;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.PublishInterceptor;
import dev.omnibus.broker.SubscribeOptions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Kit group "Interceptors and handler threads": interceptors run on every publish and delivery in
 * the documented order, and handlers run on the threads of {@code BrokerOptions.threadFactory}.
 * Run by {@link BrokerCompatibilityKit}; the numbers in the display names are those of the kit's
 * catalogue, {@code broker-tck/BEHAVIOURS.md}.
 */
public abstract class InterceptorsTests extends KitGroup {
    protected InterceptorsTests(BrokerCompatibilityKit kit) {
        super(kit);
    }

    @Test
    @DisplayName("44. broker-level then subscription-level handler interceptors wrap every delivery, publish interceptors every publish and publishAsync, in registration order; a header an interceptor adds arrives")
    void interceptorsRunInOrder() throws Exception {
        List<String> calls = new CopyOnWriteArrayList<>();
        PublishInterceptor p1 = chain -> {
            calls.add("publish-1 " + (chain.isAsync() ? "async" : "sync"));
            return chain.proceed(chain.message().toBuilder().header("x-kit-stamp", "p1").build());
        };
        PublishInterceptor p2 = chain -> {
            calls.add("publish-2 " + chain.message().header("x-kit-stamp"));
            return chain.proceed(chain.message());
        };
        HandlerInterceptor brokerLevel = chain -> {
            calls.add("broker-handler " + chain.event().message().bodyAsString());
            chain.proceed(chain.event());
        };
        HandlerInterceptor subscriptionLevel = chain -> {
            calls.add("subscription-handler " + chain.event().message().bodyAsString());
            chain.proceed(chain.event());
        };
        Broker b = disconnected("a");
        b.init(b.options().toBuilder().publishInterceptor(p1).publishInterceptor(p2).interceptor(brokerLevel).build());
        b.connect();
        String topic = topic("intercepted");
        Inbox inbox = new Inbox();
        b.subscribe(topic, e -> {
            calls.add("handler " + e.message().bodyAsString());
            inbox.handle(e);
        }, SubscribeOptions.builder().interceptor(subscriptionLevel).build());
        b.publish(topic, Message.of("one"));
        inbox.awaitCount(1, t(10_000));
        b.publishAsync(topic, Message.of("two")).get(t(10_000).toMillis(), TimeUnit.MILLISECONDS);
        inbox.awaitCount(2, t(10_000));
        await().atMost(t(5_000)).until(() -> calls.size() >= 10);
        assertThat(calls).containsExactly(
                "publish-1 sync", "publish-2 p1", "broker-handler one", "subscription-handler one", "handler one",
                "publish-1 async", "publish-2 p1", "broker-handler two", "subscription-handler two", "handler two");
        assertThat(inbox.messages()).allSatisfy(m -> assertThat(m.header("x-kit-stamp")).isEqualTo("p1"));
    }

    @Test
    @DisplayName("52. handlers run on threads made by BrokerOptions.threadFactory when one is set")
    void handlerThreadFactory() {
        List<String> made = new CopyOnWriteArrayList<>();
        Broker b = disconnected("a");
        b.init(b.options().toBuilder().threadFactory(r -> {
            Thread t = new Thread(r, "kit-handler-" + made.size());
            t.setDaemon(true);
            made.add(t.getName());
            return t;
        }).build());
        b.connect();
        String topic = topic("threads");
        List<String> ranOn = new CopyOnWriteArrayList<>();
        b.subscribe(topic, e -> ranOn.add(Thread.currentThread().getName()), SubscribeOptions.builder().concurrency(2).build());
        List<String> sent = publishMany(b, topic, 20, "t-");
        await().atMost(t(10_000)).pollInterval(Duration.ofMillis(20)).until(() -> ranOn.size() >= sent.size());
        assertThat(made).as("threads the factory made").isNotEmpty();
        assertThat(ranOn).allSatisfy(name -> assertThat(made).contains(name));
    }
}
