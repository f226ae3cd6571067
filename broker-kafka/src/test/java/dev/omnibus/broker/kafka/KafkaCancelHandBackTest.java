package dev.omnibus.broker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Event;
import dev.omnibus.broker.EventPublisher;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Subscriptions;
import dev.omnibus.broker.tck.FlowRecorder;
import dev.omnibus.broker.tck.Inbox;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Kit behaviour 61 (a cancelled Flow subscription hands back what it took but did not give, nothing
 * lost or doubled) in the timing that made it flaky on Kafka, made the rule: a second member joins,
 * so the group rebalances, and the first cancels while that rebalance is still under way. With
 * concurrency above 1 every partition has a handler waiting for demand, so whichever partition the
 * rebalance revokes waits (up to 2 s) for it, and the cancel arrives meanwhile. Before the fix the
 * member's commits then failed (its own {@code wakeup()} broke the commit in the revoke callback;
 * the last commit met the unfinished rebalance) and the next owner handed out again what the
 * subscriber had already processed.
 */
@DisplayName("Kafka: a Flow subscription cancelled while its group rebalances hands back exactly what it did not give")
class KafkaCancelHandBackTest {
    private final String token = Long.toString(System.nanoTime(), 36);
    private final String topic = "cancel.t" + token;
    private final String group = "g" + token;
    private final Broker a = Brokers.create(KafkaTestSupport.options("ca-" + token));
    private final Broker b = Brokers.create(KafkaTestSupport.options("cb-" + token));

    @AfterEach
    void cleanUp() throws Exception {
        a.disconnect();
        b.disconnect();
        try (Admin admin = KafkaTestSupport.admin()) {
            admin.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
            List<String> groups = admin.listConsumerGroups().all().get(30, TimeUnit.SECONDS).stream()
                    .map(ConsumerGroupListing::groupId).filter(g -> g.contains(token)).toList();
            if (!groups.isEmpty()) {
                admin.deleteConsumerGroups(groups).all().get(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    @DisplayName("cancel during the rebalance a joining member caused: the taken-and-processed events are not delivered again")
    void cancelDuringRebalance() {
        a.connect();
        b.connect();
        EventPublisher pub = Subscriptions.publisher(a, topic, SubscribeOptions.builder().queue(group).concurrency(32).build());
        FlowRecorder recorder = new FlowRecorder();
        pub.subscribe(recorder);
        List<Event> mine = recorder.events;
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            Message m = Message.of("c-" + i);
            a.publish(topic, m);
            sent.add(m.id());
        }
        recorder.request(2);
        await().atMost(Duration.ofSeconds(20)).until(() -> mine.size() >= 2);
        Inbox inbox = new Inbox();
        b.subscribe(topic, inbox, SubscribeOptions.builder().queue(group).build());
        recorder.cancel();
        List<String> taken = mine.stream().map(e -> e.message().id()).toList();
        assertThat(taken).hasSize(2);
        List<String> rest = new ArrayList<>(sent);
        rest.removeAll(taken);
        inbox.awaitIds(rest, Duration.ofSeconds(30));
        // then quiet for a second: a redelivery of what the subscriber had would come now
        AtomicInteger last = new AtomicInteger(-1);
        AtomicLong since = new AtomicLong();
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50)).until(() -> {
            long now = System.nanoTime();
            if (inbox.count() != last.getAndSet(inbox.count())) {
                since.set(now);
            }
            return now - since.get() >= TimeUnit.SECONDS.toNanos(1);
        });
        List<String> all = new ArrayList<>(taken);
        all.addAll(inbox.ids());
        assertThat(Inbox.difference(sent, all)).as("every message exactly once").isEmpty();
    }
}
