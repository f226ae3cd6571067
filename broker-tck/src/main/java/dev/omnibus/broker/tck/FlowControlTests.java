package dev.omnibus.broker.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.Event;
import dev.omnibus.broker.SubscribeOptions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Kit group "Flow control": a slow handler holds publishers back instead of losing messages, and
 * {@code prefetch} bounds what a member holds unsettled. Run by {@link BrokerCompatibilityKit}; the
 * numbers in the display names are those of the kit's catalogue, {@code broker-tck/BEHAVIOURS.md}.
 */
public abstract class FlowControlTests extends KitGroup {
    protected FlowControlTests(BrokerCompatibilityKit kit) {
        super(kit);
    }

    @Test
    @DisplayName("41. with the default overflow policy (BLOCK) a buffer far smaller than a burst loses nothing: a slow handler gets every message")
    void blockLosesNothing() {
        Broker b = connected("a");
        boolean ordered = b.capabilities().contains(Capability.ORDERED_DELIVERY);
        String topic = topic("burst");
        List<String> got = new CopyOnWriteArrayList<>();
        b.subscribe(topic, e -> {
            got.add(e.message().id());
            busy(Duration.ofMillis(2));
        }, SubscribeOptions.builder().bufferSize(4).blockTimeout(t(60_000)).build());
        List<String> sent = publishMany(b, topic, n(300), "burst-");
        Inbox.awaitIds(sent, () -> got, t(60_000));
        assertExactlyOnce(sent, got);
        if (ordered) {
            assertThat(got).containsExactlyElementsOf(sent);
        }
    }

    @Test
    @DisplayName("42. [ACKNOWLEDGEMENT] [QUEUE_GROUPS] prefetch bounds what a manual-ack member holds unsettled; settling lets the rest through")
    void prefetchBoundsUnsettled() {
        Broker b = connected("a");
        assumeCapability(b, Capability.ACKNOWLEDGEMENT);
        assumeCapability(b, Capability.QUEUE_GROUPS);
        String topic = topic("prefetch");
        int prefetch = 5;
        List<Event> held = new CopyOnWriteArrayList<>();
        b.subscribe(topic, held::add, SubscribeOptions.builder().queue(group("prefetch")).autoAck(false).prefetch(prefetch)
                .concurrency(2).build());
        List<String> sent = publishMany(b, topic, n(60), "p-");
        await().atMost(t(10_000)).until(() -> held.size() >= prefetch);
        awaitQuiet(held::size, t(1_000), t(5_000));
        assertThat(held).as("deliveries handed to the handler and not settled, with prefetch %d", prefetch).hasSize(prefetch);
        List<String> got = new CopyOnWriteArrayList<>();
        await().atMost(t(60_000)).pollInterval(Duration.ofMillis(20)).until(() -> {
            for (Event e : held) {
                if (held.remove(e)) {
                    got.add(e.message().id());
                    e.ack();
                }
            }
            assertThat(held.size()).isLessThanOrEqualTo(prefetch);
            return got.containsAll(sent);
        });
        assertExactlyOnce(sent, got);
    }
}
