package dev.omnibus.broker.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.event.EventBus;
import dev.omnibus.broker.event.ResourceEvent;
import dev.omnibus.broker.event.ResourceEvents;
import dev.omnibus.broker.tck.BrokerCompatibilityKit.Workload;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Kit group "Typed events": typed events and resource events across instances. Run by {@link BrokerCompatibilityKit}; the numbers in
 * the display names are those of the kit's catalogue, {@code broker-tck/BEHAVIOURS.md}.
 */
public abstract class TypedEventsTests extends KitGroup {
    protected TypedEventsTests(BrokerCompatibilityKit kit) {
        super(kit);
    }
    @Test
    @DisplayName("46. resource events published on one broker instance arrive decoded, in order, on another")
    void resourceEventsAcrossInstances() {
        Broker a = connected("a");
        Broker b = connected("b");
        ResourceEvents publisher = new ResourceEvents(EventBus.create(a));
        List<ResourceEvent<Workload>> got = new CopyOnWriteArrayList<>();
        new ResourceEvents(EventBus.create(b)).subscribe((event, delivery) -> got.add(event), Workload.class);
        Workload v1 = new Workload("web-" + runId(), 1, Instant.parse("2026-01-01T00:00:00Z"));
        Workload v2 = new Workload("web-" + runId(), 3, Instant.parse("2026-01-01T00:05:00Z"));
        publisher.publishCreated(v1);
        publisher.publishUpdated(v1, v2);
        publisher.publishDeleted(v2);
        await().atMost(t(10_000)).until(() -> got.size() >= 3);
        List<ResourceEvent<Workload>> mine = got.stream().filter(e -> e.resource().name().equals(v1.name()))
                .collect(Collectors.toList());
        assertThat(mine).containsExactly(new ResourceEvent.Created<>(v1), new ResourceEvent.Updated<>(v1, v2),
                new ResourceEvent.Deleted<>(v2));
    }

    @Test
    @DisplayName("47. [DEAD_LETTER] a body that does not decode into the subscribed type ends in the dead-letter topic")
    void undecodableToDeadLetter() {
        Broker b = connected("a");
        assumeCapability(b, Capability.DEAD_LETTER);
        String topic = topic("typed");
        String dlt = topic("typed-dead");
        Inbox dead = new Inbox();
        b.subscribe(dlt, dead);
        List<Workload> good = new CopyOnWriteArrayList<>();
        EventBus.create(b).subscribe(topic, Workload.class, (w, e) -> good.add(w),
                SubscribeOptions.builder().deadLetterTopic(dlt).build());
        Message poison = text("{\"name\": [not json");
        b.publish(topic, poison);
        EventBus.create(b).publish(topic, new Workload("ok", 1, Instant.EPOCH));
        dead.awaitCount(1, t(10_000));
        await().atMost(t(10_000)).until(() -> good.size() == 1);
        assertThat(dead.messages().get(0).id()).isEqualTo(poison.id());
        assertThat(dead.messages().get(0).header(Headers.DEAD_LETTER_REASON)).contains("CodecException");
    }
}
