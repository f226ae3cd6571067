package dev.omnibus.broker.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Subscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * TCK item 27 for RabbitMQ: requests and subscribe/unsubscribe cycles create no server queues.
 * The brokers use an exchange of their own, so every queue they declare starts with its name and
 * other users of the server do not disturb the count.
 */
class StaticQueuesTest {
    private final String exchange = "omnibus-test-" + Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffffL, 36);
    private final List<Broker> brokers = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        brokers.forEach(Broker::disconnect);
        List<String> exchanges = new ArrayList<>(List.of(exchange, exchange + ".unavailable"));
        RabbitCtl.exchanges().stream().filter(x -> x.startsWith(exchange + ".guard.")).forEach(exchanges::add);
        RabbitCtl.delete(RabbitCtl.queuesStartingWith(exchange + "."), exchanges);
    }

    @Test
    @DisplayName("1,000 requests leave the queue count unchanged: replies use the node's static reply queue")
    void requestsCreateNoQueues() throws Exception {
        Broker server = connect("server");
        Broker client = connect("client");
        server.subscribe("rpc.echo", e -> e.reply(Message.of(e.message().body())), SubscribeOptions.builder().concurrency(4).build());
        List<String> before = RabbitCtl.queuesStartingWith(exchange + ".");
        assertThat(before).containsExactly(exchange + ".node.client", exchange + ".node.server",
                exchange + ".reply.client", exchange + ".reply.server", exchange + ".unavailable.client",
                exchange + ".unavailable.server");
        for (int batch = 0; batch < 10; batch++) {
            List<CompletableFuture<Message>> replies = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                replies.add(client.request("rpc.echo", Message.of("q" + i), Duration.ofSeconds(10)));
            }
            for (int i = 0; i < 100; i++) {
                assertThat(replies.get(i).get(20, TimeUnit.SECONDS).bodyAsString()).isEqualTo("q" + i);
            }
        }
        assertThat(RabbitCtl.queuesStartingWith(exchange + ".")).isEqualTo(before);
        assertThat(RabbitCtl.queues()).noneMatch(q -> q.startsWith("amq.gen-"));
    }

    @Test
    @DisplayName("100 subscribe/unsubscribe cycles, broadcast and grouped, leave the queue count unchanged")
    void subscriptionCyclesCreateNoQueues() {
        // a group queue outliving its members for longer than this test runs, so that only cycles count
        Broker b = connect("cycler", "600000");
        // the group's one queue exists from its first member on
        b.subscribe("cycle.g", e -> { }, SubscribeOptions.builder().queue("workers").build()).unsubscribe();
        List<String> before = RabbitCtl.queuesStartingWith(exchange + ".");
        assertThat(before).containsExactly(exchange + ".group.workers:cycle.g", exchange + ".node.cycler", exchange + ".reply.cycler",
                exchange + ".unavailable.cycler");
        for (int i = 0; i < 100; i++) {
            Subscription broadcast = b.subscribe("cycle.b" + i + ".>", e -> { });
            Subscription grouped = b.subscribe("cycle.g", e -> { }, SubscribeOptions.builder().queue("workers").build());
            broadcast.unsubscribe();
            grouped.unsubscribe();
        }
        assertThat(RabbitCtl.queuesStartingWith(exchange + ".")).isEqualTo(before);
        assertThat(RabbitCtl.queues()).noneMatch(q -> q.startsWith("amq.gen-"));
    }

    @Test
    @DisplayName("a node's queues go with its broker; a non-durable group queue after groupQueueExpires; a durable one stays")
    void lifetimes() {
        Broker b = connect("short");
        b.subscribe("life.x", e -> { }, SubscribeOptions.builder().queue("transient").build());
        b.subscribe("life.x", e -> { }, SubscribeOptions.builder().queue("kept").durable(true).build());
        assertThat(RabbitCtl.queuesStartingWith(exchange + ".")).containsExactly(exchange + ".group.kept:life.x",
                exchange + ".group.transient:life.x", exchange + ".node.short", exchange + ".reply.short",
                exchange + ".unavailable.short");
        b.disconnect();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500))
                .until(() -> RabbitCtl.queuesStartingWith(exchange + "."), qs -> qs.equals(List.of(exchange + ".group.kept:life.x")));
    }

    private Broker connect(String node) {
        return connect(node, "2000");
    }

    private Broker connect(String node, String groupQueueExpiresMillis) {
        Broker b = Brokers.create(RabbitMqBrokerCompatibilityTest.options(node).toBuilder()
                .property("exchange", exchange).property("groupQueueExpires", groupQueueExpiresMillis).build());
        brokers.add(b);
        b.connect();
        return b;
    }
}
