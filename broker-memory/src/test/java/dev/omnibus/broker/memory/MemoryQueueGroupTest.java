package dev.omnibus.broker.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Subscription;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Memory queue groups hand back messages")
class MemoryQueueGroupTest extends MemoryTestSupport {
    private static final Duration QUIET = Duration.ofMillis(300);
    private static final SubscribeOptions MANUAL = SubscribeOptions.builder().queue("workers").autoAck(false).build();
    private static final SubscribeOptions AUTO = SubscribeOptions.builder().queue("workers").build();

    @Test
    @DisplayName("a closing member's unacked and buffered-but-unstarted messages go to the remaining member")
    void giveBackToRemainingMember() throws Exception {
        String url = uniqueBus("giveback");
        Broker nodeA = connected(url);
        Broker nodeB = connected(url);
        List<String> onA = new CopyOnWriteArrayList<>();
        CountDownLatch aStuck = new CountDownLatch(1);
        CountDownLatch aRelease = gate();
        Subscription a = nodeA.subscribe("tasks", e -> {
            String body = e.message().bodyAsString();
            onA.add(body);
            if (body.equals("m2")) {
                aStuck.countDown();
                waitFor(aRelease);
            }
            // never acks
        }, MANUAL);

        nodeA.publish("tasks", Message.of("m1"));                   // handled by A, left unacked
        await().atMost(Duration.ofSeconds(5)).until(() -> onA.contains("m1"));
        nodeA.publish("tasks", Message.of("m2"));                   // A is busy in m2
        assertThat(aStuck.await(5, TimeUnit.SECONDS)).isTrue();
        nodeA.publish("tasks", Message.of("m3"));                   // buffered in A, not started
        nodeA.publish("tasks", Message.of("m4"));

        Map<String, Integer> onB = new ConcurrentHashMap<>();
        nodeB.subscribe("tasks", e -> onB.put(e.message().bodyAsString(), e.deliveryAttempt()), AUTO);

        CompletableFuture<Void> closing = CompletableFuture.runAsync(a::unsubscribe);
        await().atMost(Duration.ofSeconds(5)).until(() -> !a.isActive());
        aRelease.countDown();
        closing.get(10, TimeUnit.SECONDS);

        await().atMost(Duration.ofSeconds(5)).until(() -> onB.size() == 4);
        assertThat(onB).containsOnlyKeys("m1", "m2", "m3", "m4");
        assertThat(onB.get("m1")).as("unacked m1 is a redelivery").isEqualTo(2);
        assertThat(onB.get("m2")).as("unacked m2 is a redelivery").isEqualTo(2);
        assertThat(onB.get("m3")).as("unstarted m3 is a first delivery").isEqualTo(1);
        assertThat(onB.get("m4")).isEqualTo(1);
        assertThat(onA).containsExactly("m1", "m2");
        await().during(QUIET).atMost(Duration.ofSeconds(3)).until(() -> onB.size() == 4);
    }

    @Test
    @DisplayName("acked messages are not handed back when a member closes")
    void ackedNotHandedBack() throws Exception {
        Broker broker = connected("memory:");
        List<String> onA = new CopyOnWriteArrayList<>();
        Subscription a = broker.subscribe("tasks", e -> {
            onA.add(e.message().bodyAsString());
            e.ack();
        }, MANUAL);
        broker.publish("tasks", Message.of("done"));
        await().atMost(Duration.ofSeconds(5)).until(() -> onA.contains("done"));
        List<String> onB = new CopyOnWriteArrayList<>();
        broker.subscribe("tasks", e -> onB.add(e.message().bodyAsString()), AUTO);
        a.unsubscribe();
        await().during(QUIET).atMost(Duration.ofSeconds(3)).until(onB::isEmpty);
    }

    @Test
    @DisplayName("a message handed back to a group with no member waits for the next member")
    void parkedUntilNextMember() {
        String url = uniqueBus("parked");
        Broker nodeA = connected(url);
        Broker nodeC = connected(url);
        List<String> onA = new CopyOnWriteArrayList<>();
        Subscription a = nodeA.subscribe("tasks", e -> onA.add(e.message().bodyAsString()), MANUAL); // never acks
        nodeA.publish("tasks", Message.of("waiting"));
        await().atMost(Duration.ofSeconds(5)).until(() -> onA.contains("waiting"));
        a.unsubscribe(); // the group is empty now: "waiting" must be kept for the next member

        Map<String, Integer> onC = new ConcurrentHashMap<>();
        nodeC.subscribe("tasks", e -> onC.put(e.message().bodyAsString(), e.deliveryAttempt()), AUTO);
        await().atMost(Duration.ofSeconds(5)).until(() -> onC.containsKey("waiting"));
        assertThat(onC.get("waiting")).isEqualTo(2);
    }

    @Test
    @DisplayName("a member that unsubscribes from inside its handler hands its remaining messages to the other member")
    void selfUnsubscribeHandsBack() throws Exception {
        Broker broker = connected("memory:");
        AtomicReference<Subscription> self = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = gate();
        List<String> onA = new CopyOnWriteArrayList<>();
        self.set(broker.subscribe("tasks", e -> {
            String body = e.message().bodyAsString();
            onA.add(body);
            if (body.equals("m0")) {
                started.countDown();
                waitFor(release);
            } else if (body.equals("m1")) {
                self.get().unsubscribe();
            }
        }, AUTO));
        broker.publish("tasks", Message.of("m0"));
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        for (int i = 1; i <= 5; i++) {
            broker.publish("tasks", Message.of("m" + i)); // all buffered in A, the only member
        }
        List<String> onB = new CopyOnWriteArrayList<>();
        broker.subscribe("tasks", e -> onB.add(e.message().bodyAsString()), AUTO);
        release.countDown();
        await().atMost(Duration.ofSeconds(5)).until(() -> onB.size() == 4);
        assertThat(onB).containsExactlyInAnyOrder("m2", "m3", "m4", "m5");
        assertThat(onA).containsExactly("m0", "m1");
    }
}
