package dev.omnibus.broker.rabbitmq;

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
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The Flow form on RabbitMQ, observed at the server with rabbitmqctl: basic.qos is the bound. */
class RabbitMqFlowTest {
    private final String exchange = "omnibus-flow-" + Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffffL, 36);
    private Broker broker;

    @AfterEach
    void tearDown() throws Exception {
        if (broker != null) {
            broker.disconnect();
        }
        RabbitCtl.delete(RabbitCtl.queuesStartingWith(exchange + "."), List.of(exchange));
    }

    @Test
    @DisplayName("a subscriber that requested 3 of 30 with prefetch 5: 3 delivered, the group queue has exactly 5 unacknowledged and 22 ready")
    void demandReachesTheServer() {
        broker = Brokers.create(RabbitMqBrokerCompatibilityTest.options("flow").toBuilder().property("exchange", exchange).build());
        broker.connect();
        String topic = "orders.created";
        String group = "billing";
        EventPublisher pub = Subscriptions.publisher(broker, topic, SubscribeOptions.builder().queue(group).prefetch(5).build());
        FlowRecorder recorder = new FlowRecorder(3);
        pub.subscribe(recorder);
        List<Event> got = recorder.events;
        for (int i = 0; i < 30; i++) {
            broker.publish(topic, Message.of("o" + i));
        }
        String queue = StaticTopology.groupQueueName(exchange, group, topic);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
            assertThat(got).hasSize(3);
            assertThat(readyAndUnacked(queue)).as("ready, unacknowledged at the server").containsExactly(22L, 5L);
        });
        pub.unsubscribe();
    }

    private static long[] readyAndUnacked(String queue) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("rabbitmqctl", "-q", "list_queues", "name", "messages_ready", "messages_unacknowledged")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("rabbitmqctl list_queues failed: " + out);
        }
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3 && f[0].equals(queue)) {
                return new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])};
            }
        }
        throw new IllegalStateException("queue " + queue + " not listed by rabbitmqctl: " + out);
    }
}
