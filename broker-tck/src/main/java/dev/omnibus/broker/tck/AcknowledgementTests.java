package dev.omnibus.broker.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.Event;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Subscription;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Kit group "Acknowledgement": redelivery after a failure, manual ack and the redelivery delay. Run by {@link BrokerCompatibilityKit}; the numbers in
 * the display names are those of the kit's catalogue, {@code broker-tck/BEHAVIOURS.md}.
 */
@RequiresCapabilities(Capability.ACKNOWLEDGEMENT)
public abstract class AcknowledgementTests extends KitGroup {
    protected AcknowledgementTests(BrokerCompatibilityKit kit) {
        super(kit);
    }

    @Test
    @DisplayName("18. a handler failing its first 2 attempts gets the message again with deliveryAttempt 2 and 3, then it is acked")
    void redeliveredAfterFailure() {
        Broker b = connected("a");
        String topic = topic("retry");
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        b.subscribe(topic, e -> {
            attempts.add(e.deliveryAttempt());
            if (e.deliveryAttempt() < 3) {
                throw new IllegalStateException("failing attempt " + e.deliveryAttempt());
            }
        }, SubscribeOptions.builder().queue(groupIfSupported(b, "retry")).redeliveryDelay(Duration.ofMillis(100)).maxDeliveries(5).build());
        b.publish(topic, text("once"));
        await().atMost(t(20_000)).until(() -> attempts.size() >= 3);
        await().during(t(700)).atMost(t(10_000)).until(() -> attempts.size() == 3);
        assertThat(attempts).containsExactly(1, 2, 3);
    }

    @Test
    @DisplayName("19. [QUEUE_GROUPS] manual ack: an unacked message is redelivered after its subscription closes; an acked one is not")
    void manualAck() {
        assumeCapability(Capability.QUEUE_GROUPS); // the redelivery goes to another member of the group
        Broker a = connected("a");
        Broker b = connected("b");
        String topic = topic("manual");
        String group = group("manual");
        List<Event> first = new CopyOnWriteArrayList<>();
        SubscribeOptions manual = SubscribeOptions.builder().queue(group).autoAck(false).prefetch(10).build();
        Subscription s1 = a.subscribe(topic, first::add, manual);
        Message acked = text("acked");
        Message unacked = text("unacked");
        a.publish(topic, acked);
        a.publish(topic, unacked);
        await().atMost(t(10_000)).until(() -> first.size() >= 2);
        first.stream().filter(e -> e.message().id().equals(acked.id())).findFirst().orElseThrow().ack();
        Inbox second = new Inbox();
        b.subscribe(topic, e -> {
            second.handle(e);
            e.ack();
        }, manual);
        s1.unsubscribe();
        second.awaitCount(1, t(20_000)).assertStaysAt(1, t(500));
        Event again = second.events().get(0);
        assertThat(again.message().id()).isEqualTo(unacked.id());
        assertThat(again.deliveryAttempt()).isGreaterThanOrEqualTo(2);
    }

    @Test
    @DisplayName("20. redelivery waits redeliveryDelay between attempts and stops at maxDeliveries")
    void redeliveryDelay() {
        Broker b = connected("a");
        String topic = topic("delay");
        List<Long> times = new CopyOnWriteArrayList<>();
        Duration delay = Duration.ofMillis(400);
        b.subscribe(topic, e -> {
            times.add(System.nanoTime());
            throw new IllegalStateException("always failing");
        }, SubscribeOptions.builder().queue(groupIfSupported(b, "delay")).redeliveryDelay(delay).maxDeliveries(3).build());
        b.publish(topic, text("x"));
        await().atMost(t(20_000)).until(() -> times.size() >= 3);
        // quiet for longer than the delay: a fourth attempt would show
        await().during(delay.plus(t(1_000))).atMost(t(10_000)).until(() -> times.size() == 3);
        for (int i = 1; i < times.size(); i++) {
            Duration gap = Duration.ofNanos(times.get(i) - times.get(i - 1));
            assertThat(gap).as("gap before attempt %d", i + 1).isGreaterThanOrEqualTo(delay.minusMillis(50));
        }
    }
}
