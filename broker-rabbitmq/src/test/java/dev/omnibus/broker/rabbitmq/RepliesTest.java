package dev.omnibus.broker.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.tck.BrokerServers;
import dev.omnibus.broker.tck.LogCapture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Replies go on plain (non-confirm) channels, mandatory, without waiting: foreign requesters on
 * RabbitMQ's direct reply-to still get them, and a reply whose queue is gone is logged.
 */
class RepliesTest {
    private final String exchange = "omnibus-test-" + Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffffL, 36);
    private final List<Broker> brokers = new ArrayList<>();
    private Connection raw;

    @AfterEach
    void tearDown() throws Exception {
        if (raw != null) {
            raw.close();
        }
        brokers.forEach(Broker::disconnect);
        List<String> exchanges = new ArrayList<>(List.of(exchange, exchange + ".unavailable"));
        RabbitCtl.delete(RabbitCtl.queuesStartingWith(exchange + "."), exchanges);
    }

    @Test
    @DisplayName("a foreign requester on RabbitMQ's direct reply-to gets the reply, with its correlation id")
    void directReplyTo() throws Exception {
        Broker server = connect("server");
        server.subscribe("rpc.direct", e -> e.reply(Message.of("re:" + e.message().bodyAsString())));
        Channel ch = rawChannel();
        CompletableFuture<String> reply = new CompletableFuture<>();
        ch.basicConsume("amq.rabbitmq.reply-to", true, new DefaultConsumer(ch) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
                reply.complete(props.getCorrelationId() + " " + new String(body, StandardCharsets.UTF_8));
            }
        });
        try (LogCapture log = LogCapture.start()) {
            ch.basicPublish(exchange, "rpc.direct", new AMQP.BasicProperties.Builder().correlationId("c-42")
                    .replyTo("amq.rabbitmq.reply-to").build(), "ping".getBytes(StandardCharsets.UTF_8));
            assertThat(reply.get(10, TimeUnit.SECONDS)).isEqualTo("c-42 re:ping");
            // RabbitMQ would return a mandatory reply to direct reply-to although it delivered it: no false warning
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> log.count("was returned by RabbitMQ") == 0);
        }
    }

    @Test
    @DisplayName("a reply whose reply queue is gone is logged as a warning; the handler is not failed and the broker goes on")
    void replyToGoneQueue() throws Exception {
        Broker server = connect("server");
        AtomicInteger handled = new AtomicInteger();
        server.subscribe("rpc.gone", e -> {
            e.reply(Message.of("to nobody"));
            handled.incrementAndGet();
        });
        String gone = exchange + ".no-such-reply-queue";
        try (LogCapture log = LogCapture.start()) {
            rawChannel().basicPublish(exchange, "rpc.gone", new AMQP.BasicProperties.Builder().correlationId("c-gone")
                    .replyTo(gone).build(), "hello?".getBytes(StandardCharsets.UTF_8));
            await().atMost(Duration.ofSeconds(10)).until(() -> log.count("was returned by RabbitMQ") == 1);
            assertThat(log.text()).contains(gone).contains("c-gone");
        }
        // the handler counts after reply() returns, which may be after the reply (or its return) arrived
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(handled).hasValue(1));
        Broker client = connect("client");
        assertThat(client.request("rpc.gone", Message.of("still answered?"), Duration.ofSeconds(10)).get(20, TimeUnit.SECONDS)
                .bodyAsString()).as("the responder still answers").isEqualTo("to nobody");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(handled).hasValue(2));
    }

    private Channel rawChannel() throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(BrokerServers.rabbitMqUrl());
        raw = f.newConnection("replies-test");
        return raw.createChannel();
    }

    private Broker connect(String node) {
        Broker b = Brokers.create(RabbitMqBrokerCompatibilityTest.options(node).toBuilder().property("exchange", exchange).build());
        brokers.add(b);
        b.connect();
        return b;
    }
}
