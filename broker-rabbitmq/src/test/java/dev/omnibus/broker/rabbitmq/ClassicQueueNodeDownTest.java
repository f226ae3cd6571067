package dev.omnibus.broker.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.MessageProperties;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.tck.LocalRabbitMqCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What RabbitMQ (the installed 3.10) does with a publish routed to a durable classic queue whose
 * home node is down, asserted on a private 3-node cluster with raw amqp-client; the evidence behind
 * the guard exchange of durable classic groups ({@link StaticTopology}).
 *
 * <p>On node loss every node deletes the dead node's non-replicated queues from its routing tables
 * ({@code rabbit_amqqueue:on_node_down}: the queue record leaves {@code rabbit_queue}, its routes
 * leave {@code rabbit_route}; only {@code rabbit_durable_queue} and {@code rabbit_durable_route} keep
 * them for the node's return). A publish that the topic exchange still routes to the queue meets no
 * queue record ({@code rabbit_amqqueue:lookup}) and is dropped; the channel confirms it at once
 * ({@code process_routing_confirm} with no queues). {@code mandatory} returns it only when no other
 * queue got it ({@code process_routing_mandatory}). A fanout exchange whose only binding goes to the
 * queue routes to nothing then, so its alternate exchange takes the message, and a queue there that
 * rejects everything ({@code x-max-length 0}, {@code x-overflow reject-publish}) makes the channel
 * nack it: a per-publish, per-queue signal that no other queue on the route can hide.
 */
@Tag("cluster")
class ClassicQueueNodeDownTest {
    private static LocalRabbitMqCluster cluster;

    @BeforeAll
    static void startCluster() {
        Assumptions.assumeTrue(LocalRabbitMqCluster.available(), "rabbitmq-server is not installed; no cluster to test");
        cluster = LocalRabbitMqCluster.start(3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void publishToAClassicQueueWhoseNodeIsDown() throws Exception {
        String run = Message.newId().substring(0, 8);
        String exchange = "probe." + run;
        String queue = exchange + ".classic";
        String live = exchange + ".live";
        String guard = exchange + ".guard";
        String unavailable = exchange + ".unavailable";
        String sentinel = unavailable + ".node1";
        // the classic queue lives on node 2 (declared over a connection to node 2: client-local placement)
        try (Connection home = connect(2)) {
            Channel ch = home.createChannel();
            ch.exchangeDeclare(exchange, BuiltinExchangeType.TOPIC, true);
            ch.queueDeclare(queue, true, false, false, Map.of("x-queue-type", "classic"));
            ch.queueBind(queue, exchange, "only.classic");
            ch.queueBind(queue, exchange, "both");
            ch.queueBind(queue, exchange, "guarded");
        }
        assertThat(cluster.leaderOf(queue)).isEqualTo(2);
        try (Connection c = connect(1)) {
            Channel ch = c.createChannel();
            // a live queue on node 1 bound for 'both' and 'guarded', as a broadcast subscriber's node queue would be
            ch.queueDeclare(live, false, false, true, null);
            ch.queueBind(live, exchange, "both");
            ch.queueBind(live, exchange, "guarded");
            // the guard: exchange -> fanout guard -> classic queue; guard's alternate exchange -> a queue that rejects all
            ch.exchangeDeclare(unavailable, BuiltinExchangeType.FANOUT, true);
            ch.queueDeclare(sentinel, false, false, true, Map.of("x-max-length", 0, "x-overflow", "reject-publish"));
            ch.queueBind(sentinel, unavailable, "");
            ch.exchangeDeclare(guard, BuiltinExchangeType.FANOUT, true, false, Map.of("alternate-exchange", unavailable));
            ch.exchangeBind(guard, exchange, "guarded");
            ch.queueBind(queue, guard, "");
            Publishing p = new Publishing(ch);

            assertThat(p.send(exchange, "guarded", true)).as("guarded, node up").isEqualTo("ack");
            assertThat(ch.messageCount(queue)).isEqualTo(1);

            cluster.kill(2);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> notFound(c, queue) != null);
            String passive = notFound(c, queue);
            System.out.println("queue.declare passive while node 2 is down: " + passive);
            assertThat(passive).contains("NOT_FOUND").contains("home node").contains("is down or inaccessible");

            String plain = p.send(exchange, "only.classic", false);
            String mandatory = p.send(exchange, "only.classic", true);
            String shared = p.send(exchange, "both", true);
            String guarded = p.send(exchange, "guarded", true);
            System.out.println("node of the classic queue down: routed only to it, not mandatory: " + plain
                    + "; mandatory: " + mandatory + "; mandatory with a live queue also bound: " + shared
                    + "; through the guard (live queue also bound): " + guarded);
            assertThat(plain).as("no mandatory: confirmed and gone").isEqualTo("ack");
            assertThat(mandatory).as("mandatory, nothing else bound: returned, then confirmed").isEqualTo("return 312 NO_ROUTE, ack");
            assertThat(shared).as("mandatory, a live queue also bound: no return, confirmed").isEqualTo("ack");
            assertThat(guarded).as("through the guard's alternate exchange: nacked").isEqualTo("nack");

            cluster.startAgain(2);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> notFound(c, queue) == null);
            assertThat(p.send(exchange, "guarded", true)).as("guarded, node back: the durable binding is back").isEqualTo("ack");
            Channel reader = c.createChannel();
            int got = 0;
            for (GetResponse r; (r = reader.basicGet(queue, true)) != null; ) {
                got++;
            }
            System.out.println("in the classic queue after node 2 returned: " + got + " (the one before the kill, the one after)");
            assertThat(got).isEqualTo(2);
            ch.queueDelete(live);
            ch.queueDelete(sentinel);
            ch.queueDelete(queue);
            ch.exchangeDelete(guard);
            ch.exchangeDelete(unavailable);
            ch.exchangeDelete(exchange);
        }
    }

    private static Connection connect(int node) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(cluster.urls().get(node - 1));
        f.setAutomaticRecoveryEnabled(false);
        return f.newConnection();
    }

    // the server's refusal of a passive declare (it closes the channel), or null when the queue is there
    private static String notFound(Connection c, String queue) throws Exception {
        Channel ch = c.createChannel();
        Throwable t = catchThrowable(() -> ch.queueDeclarePassive(queue));
        if (t == null) {
            ch.close();
            return null;
        }
        return AmqpErrors.text(t);
    }

    /** One confirm-mode channel; {@link #send} says what came back for one publish: returns, then ack or nack. */
    private static final class Publishing {
        private final Channel ch;
        private final AtomicReference<String> returned = new AtomicReference<>("");
        private CompletableFuture<String> outcome;

        Publishing(Channel ch) throws IOException {
            this.ch = ch;
            ch.confirmSelect();
            ch.addReturnListener(r -> returned.set("return " + r.getReplyCode() + " " + r.getReplyText() + ", "));
            ch.addConfirmListener((tag, multiple) -> outcome.complete("ack"), (tag, multiple) -> outcome.complete("nack"));
        }

        String send(String exchange, String key, boolean mandatory) throws Exception {
            returned.set("");
            outcome = new CompletableFuture<>();
            AMQP.BasicProperties props = MessageProperties.PERSISTENT_BASIC;
            ch.basicPublish(exchange, key, mandatory, props, List.of(key).toString().getBytes(StandardCharsets.UTF_8));
            String confirm = outcome.get(30, TimeUnit.SECONDS);
            return returned.get() + confirm;
        }
    }
}
