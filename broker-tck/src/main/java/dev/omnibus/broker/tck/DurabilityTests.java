package dev.omnibus.broker.tck;

import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.Event;
import dev.omnibus.broker.SubscribeOptions;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Kit group "Durability": durable groups keep messages for absent members. Run by {@link BrokerCompatibilityKit}; the numbers in
 * the display names are those of the kit's catalogue, {@code broker-tck/BEHAVIOURS.md}.
 */
@RequiresCapabilities({Capability.DURABLE_SUBSCRIPTIONS, Capability.QUEUE_GROUPS})
public abstract class DurabilityTests extends KitGroup {
    protected DurabilityTests(BrokerCompatibilityKit kit) {
        super(kit);
    }

    @Test
    @DisplayName("22. [DURABLE_SUBSCRIPTIONS] messages published while a durable group has no member are delivered when a member subscribes")
    void messagesWaitForAMember() {
        String topic = topic("waits");
        SubscribeOptions durable = SubscribeOptions.builder().queue(group("keepers")).durable(true).build();
        Broker first = connected("first");
        first.subscribe(topic, e -> { }, durable).unsubscribe();
        Broker pub = connected("pub");
        List<String> batch1 = publishMany(pub, topic, 20, "b1-");
        Broker second = connected("second");
        Inbox inbox2 = new Inbox();
        second.subscribe(topic, inbox2, durable);
        inbox2.awaitCount(20, t(20_000)).assertStaysAt(20, t(300));
        assertExactlyOnce(batch1, inbox2.ids());
        // the member's whole broker goes away this time
        second.disconnect();
        List<String> batch2 = publishMany(pub, topic, 20, "b2-");
        Inbox inbox3 = new Inbox();
        connected("third").subscribe(topic, inbox3, durable);
        inbox3.awaitCount(20, t(20_000)).assertStaysAt(20, t(300));
        assertExactlyOnce(batch2, inbox3.ids());
    }

    @Test
    @DisplayName("23. [DURABLE_SUBSCRIPTIONS] a member's broker disconnecting with unacked messages: another member receives them")
    void unackedGoToAnotherMember() {
        Broker a = connected("a");
        assumeCapability(a, Capability.ACKNOWLEDGEMENT);
        Broker b = connected("b");
        Broker pub = connected("pub");
        String topic = topic("unacked");
        SubscribeOptions manual = SubscribeOptions.builder().queue(group("holders")).durable(true).autoAck(false).prefetch(50).build();
        List<Event> held = new CopyOnWriteArrayList<>();
        a.subscribe(topic, held::add, manual);
        List<String> sent = publishMany(pub, topic, 10, "u-");
        await().atMost(t(20_000)).until(() -> held.size() >= 10);
        Inbox second = new Inbox();
        b.subscribe(topic, e -> {
            second.handle(e);
            e.ack();
        }, manual);
        a.disconnect();
        second.awaitCount(10, t(30_000)).assertStaysAt(10, t(300));
        assertExactlyOnce(sent, second.ids());
    }
}
