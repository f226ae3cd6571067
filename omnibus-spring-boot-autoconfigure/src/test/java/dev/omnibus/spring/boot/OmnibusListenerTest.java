package dev.omnibus.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Event;
import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.event.EventBus;
import dev.omnibus.spring.boot.listener.Header;
import dev.omnibus.spring.boot.listener.OmnibusListener;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;
import org.springframework.stereotype.Component;

/** {@code @OmnibusListener} methods in a real Boot application on the memory broker: payloads, headers, replies, dead letters. */
@SpringBootTest(classes = OmnibusListenerTest.App.class,
        properties = {"omnibus.broker.url=memory:", "test.prefix=shop"})
class OmnibusListenerTest {
    record Order(String id, int quantity) {
    }

    record PriceRequest(String sku) {
    }

    record Price(String sku, long cents) {
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import(Listeners.class)
    static class App {
    }

    @Component
    static class Listeners {
        final List<String> orders = new CopyOnWriteArrayList<>();
        final List<List<Order>> batches = new CopyOnWriteArrayList<>();
        final AtomicInteger failures = new AtomicInteger();
        final List<Message> deadLetters = new CopyOnWriteArrayList<>();

        @OmnibusListener(topic = "${test.prefix}.orders.*")
        void onOrder(Order order, @Header("tenant") String tenant, @Header(value = "priority", required = false) Integer priority,
                Event event) {
            orders.add(order.id() + "/" + order.quantity() + "/" + tenant + "/" + priority + "@" + event.topic());
        }

        @OmnibusListener(topic = "shop.batches")
        void onBatch(Message message, List<Order> batch) {
            assertThat(message.header(EventBus.EVENT_TYPE)).isNotNull();
            batches.add(batch);
        }

        @OmnibusListener(topic = "shop.prices", queue = "pricing")
        Price quote(PriceRequest request) {
            return new Price(request.sku(), 1299);
        }

        @OmnibusListener(topic = "shop.payments", maxDeliveries = 2, retryDelay = "10ms", deadLetterTopic = "shop.payments.dead")
        void pay(Order order) {
            failures.incrementAndGet();
            throw new IllegalStateException("card declined for " + order.id());
        }

        @OmnibusListener(topic = "shop.payments.dead", retryDelay = "5ms", retryMultiplier = 2, retryMaxDelay = "50ms")
        void dead(Message message) {
            deadLetters.add(message);
        }
    }

    @Autowired
    EventBus bus;
    @Autowired
    Broker broker;
    @Autowired
    Listeners listeners;

    @Test
    void decodesRecordPayloadsAndHeadersFromAPatternWithAPlaceholder() {
        bus.publish("shop.orders.created", new Order("o-1", 2), Map.of("tenant", "acme", "priority", "7"));
        bus.publish("shop.orders.updated", new Order("o-2", 5), Map.of("tenant", "acme"));
        await().atMost(Duration.ofSeconds(10)).until(() -> listeners.orders.size() == 2);
        assertThat(listeners.orders).containsExactlyInAnyOrder("o-1/2/acme/7@shop.orders.created", "o-2/5/acme/null@shop.orders.updated");
    }

    @Test
    void decodesGenericPayloads() {
        bus.publish("shop.batches", List.of(new Order("a", 1), new Order("b", 2)));
        await().atMost(Duration.ofSeconds(10)).until(() -> listeners.batches.size() == 1);
        assertThat(listeners.batches.get(0)).containsExactly(new Order("a", 1), new Order("b", 2));
    }

    @Test
    void aReturnValueAnswersTheRequest() throws Exception {
        Message reply = broker.request("shop.prices", bus.toMessage(new PriceRequest("sku-9"), Map.of()), Duration.ofSeconds(5))
                .get();
        assertThat(bus.<Price>decode(reply, Price.class)).isEqualTo(new Price("sku-9", 1299));
        assertThat(reply.header(Headers.CONTENT_TYPE)).isEqualTo("application/json");
    }

    @Test
    void aThrowingListenerIsRetriedThenDeadLettered() {
        bus.publish("shop.payments", new Order("o-9", 1));
        await().atMost(Duration.ofSeconds(10)).until(() -> listeners.deadLetters.size() == 1);
        assertThat(listeners.failures).hasValue(2);
        Message dead = listeners.deadLetters.get(0);
        assertThat(dead.header(Headers.DEAD_LETTER_TOPIC)).isEqualTo("shop.payments");
        assertThat(dead.header(Headers.DEAD_LETTER_REASON)).contains("card declined for o-9");
        assertThat(bus.<Order>decode(dead, Order.class)).isEqualTo(new Order("o-9", 1));
    }

    @Test
    void aBodyThatDoesNotDecodeIsDeadLetteredNotRetried() {
        int before = listeners.failures.get();
        broker.publish("shop.payments", Message.of("not json"));
        await().atMost(Duration.ofSeconds(10)).until(() -> listeners.deadLetters.stream()
                .anyMatch(m -> m.bodyAsString().equals("not json")));
        assertThat(listeners.failures).hasValue(before);
    }
}
