package dev.omnibus.broker.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.Event;
import dev.omnibus.broker.EventPublisher;
import dev.omnibus.broker.FlowOptions;
import dev.omnibus.broker.PullSubscription;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Subscriptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import reactor.adapter.JdkFlowAdapter;

/**
 * Kit group "Reactive and pull forms": {@link Subscriptions#publisher} and {@link Subscriptions#pull}
 * on the backend under test. Demand bounds what the subscriber gets, {@code prefetch} what is
 * held unsettled; cancel hands back to the group; order at concurrency 1; Reactor interop; stalls
 * are warned about and counted. Run by {@link BrokerCompatibilityKit}; the numbers in the display
 * names are those of the kit's catalogue, {@code broker-tck/BEHAVIOURS.md}.
 */
public abstract class ReactiveTests extends KitGroup {
    protected ReactiveTests(BrokerCompatibilityKit kit) {
        super(kit);
    }

    @Test
    @DisplayName("60. [ACKNOWLEDGEMENT] a Flow subscriber gets no more events than it requested, and with auto-ack off no more than prefetch unsettled; acks and requests let the rest through, each once")
    void demandAndPrefetchBound() {
        Broker b = connected("a");
        assumeCapability(b, Capability.ACKNOWLEDGEMENT);
        String topic = topic("demand");
        int prefetch = 5;
        EventPublisher pub = Subscriptions.publisher(b, topic, SubscribeOptions.builder().autoAck(false).prefetch(prefetch).build());
        FlowRecorder r = new FlowRecorder();
        pub.subscribe(r);
        List<String> sent = publishMany(b, topic, Math.max(20, n(40)), "d-");
        r.request(3);
        await().atMost(t(10_000)).until(() -> r.events.size() >= 3);
        awaitQuiet(r.events::size, t(500), t(3_000));
        assertThat(r.events).as("events after request(3)").hasSize(3);
        r.request(4);
        await().atMost(t(10_000)).until(() -> r.events.size() >= prefetch);
        awaitQuiet(r.events::size, t(500), t(3_000));
        assertThat(r.events).as("events after request(7) with none acked and prefetch %d", prefetch).hasSize(prefetch);
        r.events.forEach(Event::ack);
        await().atMost(t(10_000)).until(() -> r.events.size() >= 7);
        awaitQuiet(r.events::size, t(500), t(3_000));
        assertThat(r.events).as("events after acking and request(7)").hasSize(7);
        r.request(Long.MAX_VALUE);
        await().atMost(t(30_000)).pollInterval(Duration.ofMillis(20)).until(() -> {
            r.events.forEach(Event::ack);
            return r.ids().containsAll(sent);
        });
        assertExactlyOnce(sent, r.ids());
        if (b.capabilities().contains(Capability.ORDERED_DELIVERY)) {
            assertThat(r.ids()).containsExactlyElementsOf(sent);
        }
        assertThat(r.errors).isEmpty();
        pub.unsubscribe();
        await().atMost(t(5_000)).untilTrue(r.completed);
        assertThat(pub.isActive()).isFalse();
    }

    @Test
    @DisplayName("61. [ACKNOWLEDGEMENT] [QUEUE_GROUPS] cancelling a Flow subscription hands what it took but was not given back to its group; nothing lost or doubled")
    void cancelHandsBack() {
        Broker a = connected("a");
        Broker other = connected("b");
        assumeCapability(a, Capability.ACKNOWLEDGEMENT);
        assumeCapability(a, Capability.QUEUE_GROUPS);
        String topic = topic("cancel");
        String group = group("cancel");
        EventPublisher pub = Subscriptions.publisher(a, topic, SubscribeOptions.builder().queue(group).build());
        FlowRecorder r = new FlowRecorder();
        pub.subscribe(r);
        List<String> sent = publishMany(a, topic, Math.max(10, n(30)), "c-");
        r.request(2);
        await().atMost(t(10_000)).until(() -> r.events.size() >= 2);
        Inbox inbox = new Inbox();
        other.subscribe(topic, inbox, SubscribeOptions.builder().queue(group).build());
        r.subscription.get().cancel();
        r.subscription.get().cancel();
        assertThat(pub.isActive()).isFalse();
        List<String> mine = r.ids();
        assertThat(mine).hasSize(2);
        List<String> rest = new ArrayList<>(sent);
        rest.removeAll(mine);
        inbox.awaitIds(rest, t(30_000));
        awaitQuiet(inbox::count, t(1_000), t(5_000));
        assertExactlyOnce(sent, concat(mine, inbox.ids()));
        assertThat(r.completed).as("no onComplete after cancel").isFalse();
    }

    @Test
    @DisplayName("62. [ORDERED_DELIVERY] at concurrency 1 a Flow subscriber requesting one at a time from onNext gets the events in publish order")
    void orderedOneByOne() {
        Broker b = connected("a");
        assumeCapability(b, Capability.ORDERED_DELIVERY);
        String topic = topic("order");
        EventPublisher pub = Subscriptions.publisher(b, topic, SubscribeOptions.builder().prefetch(4).build());
        List<String> got = new CopyOnWriteArrayList<>();
        pub.subscribe(new Flow.Subscriber<Event>() {
            private Flow.Subscription s;

            @Override
            public void onSubscribe(Flow.Subscription s) {
                this.s = s;
                s.request(1);
            }

            @Override
            public void onNext(Event e) {
                got.add(e.message().id());
                s.request(1);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onComplete() {
            }
        });
        List<String> sent = publishMany(b, topic, n(100), "o-");
        Inbox.awaitIds(sent, () -> got, t(30_000));
        assertThat(got).containsExactlyElementsOf(sent);
        pub.unsubscribe();
    }

    @Test
    @DisplayName("63. Reactor interop: JdkFlowAdapter.flowPublisherToFlux with limitRate and take gets the events, and take's cancel ends the subscription")
    void reactorInterop() {
        Broker b = connected("a");
        String topic = topic("reactor");
        EventPublisher pub = Subscriptions.publisher(b, topic, SubscribeOptions.builder().prefetch(8).build());
        List<String> sent = publishMany(b, topic, Math.max(20, n(60)), "r-");
        int take = sent.size() / 2;
        List<String> got = JdkFlowAdapter.flowPublisherToFlux(pub)
                .limitRate(4)
                .map(e -> e.message().id())
                .take(take)
                .collectList()
                .block(t(30_000));
        assertThat(got).hasSize(take).doesNotHaveDuplicates();
        assertThat(sent).containsAll(got);
        if (b.capabilities().contains(Capability.ORDERED_DELIVERY)) {
            assertThat(got).containsExactlyElementsOf(sent.subList(0, take));
        }
        await().atMost(t(5_000)).until(() -> !pub.isActive());
    }

    @Test
    @DisplayName("64. the pull form: poll returns the next event or empty after the timeout, in publish order where the backend orders; its stream sees the rest")
    void pullForm() {
        Broker b = connected("a");
        String topic = topic("pull");
        try (PullSubscription pull = Subscriptions.pull(b, topic, SubscribeOptions.builder().prefetch(3).build())) {
            assertThat(pull.poll(t(200))).as("poll with nothing published").isEmpty();
            List<String> sent = publishMany(b, topic, 10, "p-");
            List<String> got = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Optional<Event> e = pull.poll(t(10_000));
                assertThat(e).as("poll %d", i).isPresent();
                got.add(e.get().message().id());
            }
            pull.stream().limit(sent.size() - got.size()).forEach(e -> got.add(e.message().id()));
            assertExactlyOnce(sent, got);
            if (b.capabilities().contains(Capability.ORDERED_DELIVERY)) {
                assertThat(got).containsExactlyElementsOf(sent);
            }
            assertThat(pull.poll(t(300))).as("poll after the last").isEmpty();
        }
    }

    @Test
    @DisplayName("66. [ACKNOWLEDGEMENT] the pull form with auto-ack off holds at most prefetch unsettled: a poll beyond it is empty until an ack; nothing lost")
    void pullBound() {
        Broker b = connected("a");
        assumeCapability(b, Capability.ACKNOWLEDGEMENT);
        String topic = topic("pullbound");
        int prefetch = 3;
        try (PullSubscription pull = Subscriptions.pull(b, topic, SubscribeOptions.builder().autoAck(false).prefetch(prefetch).build())) {
            List<String> sent = publishMany(b, topic, 10, "p-");
            List<Event> held = new ArrayList<>();
            for (int i = 0; i < prefetch; i++) {
                Optional<Event> e = pull.poll(t(10_000));
                assertThat(e).as("poll %d", i).isPresent();
                held.add(e.get());
            }
            assertThat(pull.poll(t(500))).as("a poll beyond prefetch=%d unsettled", prefetch).isEmpty();
            held.get(0).ack();
            assertThat(pull.poll(t(10_000))).as("a poll after one ack").isPresent().get().satisfies(held::add);
            held.forEach(Event::ack);
            List<String> got = new ArrayList<>();
            held.forEach(e -> got.add(e.message().id()));
            pull.stream().limit(sent.size() - got.size()).forEach(e -> {
                got.add(e.message().id());
                e.ack();
            });
            assertExactlyOnce(sent, got);
        }
    }

    @Test
    @DisplayName("67. with auto-ack a Flow subscriber gets exactly what it requested, each event once, and onComplete on unsubscribe")
    void demandBoundsAutoAck() {
        Broker b = connected("a");
        String topic = topic("demandauto");
        EventPublisher pub = Subscriptions.publisher(b, topic, SubscribeOptions.builder().prefetch(4).build());
        FlowRecorder r = new FlowRecorder();
        pub.subscribe(r);
        List<String> sent = publishMany(b, topic, 20, "a-");
        r.request(6);
        await().atMost(t(10_000)).until(() -> r.events.size() >= 6);
        awaitQuiet(r.events::size, t(500), t(3_000));
        assertThat(r.events).as("events after request(6)").hasSize(6);
        r.request(Long.MAX_VALUE);
        Inbox.awaitIds(sent, r::ids, t(30_000));
        assertExactlyOnce(sent, r.ids());
        pub.unsubscribe();
        await().atMost(t(5_000)).untilTrue(r.completed);
        assertThat(r.errors).isEmpty();
    }

    @Test
    @DisplayName("65. a Flow subscriber whose demand stays at zero while messages wait: the slow-consumer warning is logged and the listener counts the stall; the publisher is not held back")
    void slowConsumerVisible() {
        Broker b = connected("a");
        String topic = topic("slow");
        AtomicInteger stalls = new AtomicInteger();
        try (LogCapture log = LogCapture.start()) {
            EventPublisher pub = Subscriptions.publisher(b, topic, SubscribeOptions.builder().prefetch(2).build(),
                    FlowOptions.builder().slowConsumerAfter(t(200)).slowConsumerListener(s -> {
                        assertThat(s.pattern()).isEqualTo(topic);
                        stalls.incrementAndGet();
                    }).build());
            FlowRecorder r = new FlowRecorder();
            pub.subscribe(r);
            long start = System.nanoTime();
            List<String> sent = publishMany(b, topic, 20, "s-");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("20 publishes to a stalled subscriber").isLessThan(t(5_000));
            await().atMost(t(10_000)).until(() -> stalls.get() >= 1);
            await().atMost(t(5_000)).until(() -> log.text().contains("Slow consumer: subscription '" + topic + "'"));
            assertThat(r.events).isEmpty();
            r.request(Long.MAX_VALUE);
            Inbox.awaitIds(sent, r::ids, t(30_000));
            pub.unsubscribe();
        }
    }
}
