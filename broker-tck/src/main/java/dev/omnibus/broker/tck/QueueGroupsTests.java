package dev.omnibus.broker.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Subscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Kit group "Queue groups": queue groups share messages, side by side with other groups and broadcasts, and survive a member leaving. Run by {@link BrokerCompatibilityKit}; the numbers in
 * the display names are those of the kit's catalogue, {@code broker-tck/BEHAVIOURS.md}.
 */
@RequiresCapabilities(Capability.QUEUE_GROUPS)
public abstract class QueueGroupsTests extends KitGroup {
    protected QueueGroupsTests(BrokerCompatibilityKit kit) {
        super(kit);
    }

    @Test
    @DisplayName("15. 3 members on 3 broker instances, 300 messages: each delivered to exactly one member; every member gets some")
    void shareWork() {
        String topic = topic("work");
        String group = group("workers");
        List<Inbox> members = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Inbox inbox = new Inbox();
            members.add(inbox);
            connected("m" + i).subscribe(topic, inbox, SubscribeOptions.builder().queue(group).prefetch(10).build());
        }
        Broker pub = connected("pub");
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            Message m = text("w-" + i);
            sent.add(m.id());
            pub.publish(topic, m);
        }
        Inbox.awaitIds(sent, () -> members.stream().flatMap(m -> m.ids().stream()).collect(Collectors.toList()), t(20_000));
        awaitQuiet(() -> members.stream().mapToInt(Inbox::count).sum(), t(300), t(5_000));
        List<String> received = members.stream().flatMap(m -> m.ids().stream()).collect(Collectors.toList());
        assertExactlyOnce(sent, received);
        for (int i = 0; i < 3; i++) {
            assertThat(members.get(i).count()).as("messages of member %d", i).isPositive();
        }
    }

    @Test
    @DisplayName("16. two groups on one topic each receive every message, and so does a broadcast subscription beside them")
    void groupsAndBroadcast() {
        String topic = topic("mixed");
        Broker a = connected("a");
        Broker b = connected("b");
        Inbox a1 = new Inbox();
        Inbox a2 = new Inbox();
        Inbox b1 = new Inbox();
        Inbox b2 = new Inbox();
        Inbox all = new Inbox();
        a.subscribe(topic, a1, SubscribeOptions.builder().queue(group("billing")).build());
        b.subscribe(topic, a2, SubscribeOptions.builder().queue(group("billing")).build());
        a.subscribe(topic, b1, SubscribeOptions.builder().queue(group("audit")).build());
        b.subscribe(topic, b2, SubscribeOptions.builder().queue(group("audit")).build());
        b.subscribe(topic, all);
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Message m = text("x-" + i);
            sent.add(m.id());
            a.publish(topic, m);
        }
        Inbox.awaitIds(sent, () -> concat(a1.ids(), a2.ids()), t(20_000));
        Inbox.awaitIds(sent, () -> concat(b1.ids(), b2.ids()), t(20_000));
        all.awaitIds(sent, t(20_000));
        awaitQuiet(() -> a1.count() + a2.count() + b1.count() + b2.count() + all.count(), t(300), t(5_000));
        assertExactlyOnce(sent, concat(a1.ids(), a2.ids()));
        assertExactlyOnce(sent, concat(b1.ids(), b2.ids()));
        assertExactlyOnce(sent, all.ids());
    }

    @Test
    @DisplayName("17. a member leaving mid-stream: the others take over; with [ACKNOWLEDGEMENT] nothing is lost")
    void memberLeavesMidStream() throws Exception {
        String topic = topic("leave");
        String group = group("leavers");
        List<Inbox> members = new ArrayList<>();
        List<Subscription> subs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Inbox inbox = new Inbox();
            members.add(inbox);
            subs.add(connected("m" + i).subscribe(topic, e -> {
                busy(Duration.ofMillis(1));
                inbox.handle(e);
            }, SubscribeOptions.builder().queue(group).prefetch(10).build()));
        }
        Broker pub = connected("pub");
        boolean acks = pub.capabilities().contains(Capability.ACKNOWLEDGEMENT);
        int count = 300;
        List<String> sent = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < count; i++) {
                Message m = text("l-" + i);
                pub.publish(topic, m);
                sent.add(m.id());
            }
        });
        members.get(0).awaitCount(5, t(20_000));
        subs.get(0).unsubscribe();
        int leaverCount = members.get(0).count();
        publishing.get(60, TimeUnit.SECONDS);
        List<Inbox> stayers = members.subList(1, 3);
        if (acks) {
            await().atMost(t(30_000)).until(() -> members.stream().flatMap(m -> m.ids().stream()).collect(Collectors.toSet())
                    .containsAll(sent));
        } else {
            awaitQuiet(() -> members.stream().mapToInt(Inbox::count).sum(), t(1_000), t(30_000));
        }
        List<String> received = members.stream().flatMap(m -> m.ids().stream()).collect(Collectors.toList());
        report("member leaves mid-stream (behaviour 17)", count, sent, received, "leaver handled " + leaverCount);
        assertThat(members.get(0).count()).as("the member got nothing after its unsubscribe returned").isEqualTo(leaverCount);
        assertThat(stayers.stream().mapToInt(Inbox::count).sum()).as("the other members took over").isPositive();
        if (acks) {
            List<String> lost = new ArrayList<>(sent);
            lost.removeAll(new java.util.HashSet<>(received));
            assertThat(lost).as("lost messages (" + Inbox.difference(sent, received) + ")").isEmpty();
        }
    }

    @Test
    @DisplayName("40. [QUEUE_GROUPS] [WILDCARDS] a queue group on a wildcard pattern shares the messages of every matching topic, each to one member; Event.topic() is the concrete topic")
    void groupOnAWildcard() {
        Broker a = connected("a");
        assumeCapability(a, Capability.WILDCARDS);
        Broker b = connected("b");
        String base = topic("wild");
        String pattern = base + ".*";
        String group = group("wild");
        java.util.Map<String, List<String>> byTopic = new java.util.concurrent.ConcurrentHashMap<>();
        Inbox first = new Inbox();
        Inbox second = new Inbox();
        SubscribeOptions options = SubscribeOptions.builder().queue(group).build();
        a.subscribe(pattern, e -> {
            byTopic.computeIfAbsent(e.topic(), k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(e.message().id());
            first.handle(e);
        }, options);
        b.subscribe(pattern, e -> {
            byTopic.computeIfAbsent(e.topic(), k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(e.message().id());
            second.handle(e);
        }, options);
        int count = n(100);
        List<String> toA = publishMany(a, base + ".left", count, "l");
        List<String> toB = publishMany(a, base + ".right", count, "r");
        publishMany(a, base + ".left.deeper", 5, "not-matching");
        Inbox.awaitIds(concat(toA, toB), () -> concat(first.ids(), second.ids()), t(30_000));
        awaitQuiet(() -> first.count() + second.count(), t(500), t(5_000));
        assertExactlyOnce(concat(toA, toB), concat(first.ids(), second.ids()));
        assertThat(byTopic).containsOnlyKeys(base + ".left", base + ".right");
        assertThat(byTopic.get(base + ".left")).containsExactlyInAnyOrderElementsOf(toA);
        assertThat(first.count()).as("both members get some").isPositive();
        assertThat(second.count()).as("both members get some").isPositive();
    }
}
