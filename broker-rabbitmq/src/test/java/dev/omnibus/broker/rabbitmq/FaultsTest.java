package dev.omnibus.broker.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerException;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.ConnectionException;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.MessageTooLargeException;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.tck.Inbox;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class FaultsTest {
    private final String run = Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffffL, 36);
    private final List<Broker> brokers = new ArrayList<>();
    private final List<String> durableQueues = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        brokers.forEach(Broker::disconnect);
        RabbitCtl.delete(durableQueues, List.of());
    }

    @Test
    @DisplayName("wrong credentials: a ConnectionException saying access was refused, naming the address, without the password")
    void wrongCredentials() {
        String password = "Wr0ng-" + run;
        Broker b = Brokers.create(BrokerOptions.builder().url("amqp://guest:" + password + "@127.0.0.1:5672").build());
        brokers.add(b);
        Throwable failure = catchThrowable(b::connect);
        assertThat(failure).isInstanceOf(ConnectionException.class)
                .hasMessageContaining("access refused")
                .hasMessageContaining("user 'guest'")
                .hasMessageContaining(b.address());
        for (Throwable c = failure; c != null; c = c.getCause()) {
            assertThat(String.valueOf(c.getMessage())).doesNotContain(password);
        }
        assertThat(b.address() + b).doesNotContain(password);
        assertThat(b.isConnected()).isFalse();
    }

    @Test
    @DisplayName("a message over maxMessageBytes fails at once with MessageTooLargeException; the connection goes on working")
    void tooLargeForConfiguredLimit() {
        Broker b = connect("small", "maxMessageBytes", "1048576");
        String topic = "faults." + run + ".small";
        Inbox inbox = new Inbox();
        b.subscribe(topic, inbox);
        assertThatThrownBy(() -> b.publish(topic, Message.of(new byte[1024 * 1024 + 1])))
                .isInstanceOf(MessageTooLargeException.class)
                .hasMessageContaining("1048577").hasMessageContaining("1048576").hasMessageContaining(topic);
        b.publish(topic, Message.of(new byte[1024 * 1024]));
        inbox.awaitCount(1, Duration.ofSeconds(10));
    }

    @Test
    @DisplayName("a message over the server's max_message_size (128 MiB) is refused by RabbitMQ: MessageTooLargeException, and the broker stays usable")
    void tooLargeForServer() throws Exception {
        // the client-side limit is set above the server's so that the server's refusal is what is tested
        Broker b = connect("big", "maxMessageBytes", Integer.toString(256 * 1024 * 1024));
        String topic = "faults." + run + ".big";
        Inbox inbox = new Inbox();
        b.subscribe(topic, inbox);
        byte[] tooBig = new byte[128 * 1024 * 1024 + 1];
        Throwable failure = catchThrowable(() -> b.publish(topic, Message.of(tooBig)));
        assertThat(failure).isInstanceOf(MessageTooLargeException.class).hasMessageContaining("134217728");
        assertThat(((MessageTooLargeException) failure).limit()).isEqualTo(134_217_728L);
        CompletableFuture<Void> async = b.publishAsync(topic, Message.of(tooBig));
        assertThat(catchThrowable(() -> async.get(30, TimeUnit.SECONDS))).hasCauseInstanceOf(MessageTooLargeException.class);
        assertThat(b.isConnected()).isTrue();
        for (int i = 0; i < 10; i++) {
            b.publish(topic, Message.of("after-" + i));
        }
        inbox.awaitCount(10, Duration.ofSeconds(10));
    }

    @Test
    @DisplayName("a group queue redeclared with other arguments: the error names the queue and the fix; the broker stays usable")
    void preconditionFailed() {
        String topic = "faults." + run + ".pre";
        String group = "pre-" + run;
        String queue = StaticTopology.groupQueueName("omnibus", group, topic);
        durableQueues.add(queue);
        Broker first = connect("first");
        first.subscribe(topic, e -> { }, SubscribeOptions.builder().queue(group).durable(true).build());
        Broker second = connect("second");
        Throwable failure = catchThrowable(() -> second.subscribe(topic, e -> { }, SubscribeOptions.builder().queue(group).build()));
        assertThat(failure).isInstanceOf(BrokerException.class)
                .hasMessageContaining("'" + queue + "'")
                .hasMessageContaining("durable")
                .hasMessageContaining("PRECONDITION_FAILED")
                .hasMessageContaining("rabbitmqctl delete_queue");
        // the same mistake on the node that holds the durable member is caught before any I/O
        assertThatThrownBy(() -> first.subscribe(topic, e -> { }, SubscribeOptions.builder().queue(group).build()))
                .isInstanceOf(BrokerException.class).hasMessageContaining(queue);
        assertThat(second.isConnected()).isTrue();
        Inbox inbox = new Inbox();
        second.subscribe(topic, inbox, SubscribeOptions.builder().queue(group).durable(true).build());
        second.subscribe(topic + ".b", inbox);
        second.publish(topic + ".b", Message.of("broadcast"));
        inbox.awaitCount(1, Duration.ofSeconds(10));
        assertThat(second.request(topic, Message.of("x"), Duration.ofSeconds(5)))
                .as("request to the group (nobody replies)").failsWithin(Duration.ofSeconds(10));
    }

    @Test
    @DisplayName("after the server closes the connection, subscriptions resume and publishing continues without user action")
    void recoversFromConnectionLoss() throws Exception {
        Broker b = connect("victim");
        Broker pub = connect("pub");
        String topic = "faults." + run + ".recover";
        Inbox broadcast = new Inbox();
        Inbox grouped = new Inbox();
        b.subscribe(topic, broadcast);
        b.subscribe(topic, grouped, SubscribeOptions.builder().queue("recover-" + run).build());
        pub.publish(topic, Message.of("before"));
        broadcast.awaitCount(1, Duration.ofSeconds(10));
        grouped.awaitCount(1, Duration.ofSeconds(10));

        RabbitCtl.closeConnectionOf(b.options().nodeId());
        // a publish on the broker that lost its connection waits for the recovery, then succeeds
        b.publish(topic, Message.of("during"));
        await().atMost(Duration.ofSeconds(20)).until(b::isConnected);
        for (int i = 0; i < 5; i++) {
            pub.publish(topic, Message.of("after-" + i));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> broadcast.bodies().containsAll(List.of("after-0", "after-4"))
                && grouped.bodies().containsAll(List.of("during", "after-0", "after-4")));
        assertThat(RabbitCtl.queues()).contains(StaticTopology.nodeQueueName("omnibus", b.options().nodeId()));
    }

    @Test
    @DisplayName("a group queue deleted under its members: one warning, health() RECONNECTING while waiting, then they re-subscribe by themselves (quorum and classic)")
    void cancelledConsumerResubscribes() throws Exception {
        for (String type : List.of("quorum", "classic")) {
            String topic = "faults." + run + ".cancel-" + type;
            String group = "cancel-" + type + "-" + run;
            String queue = StaticTopology.groupQueueName("omnibus", group, topic);
            durableQueues.add(queue);
            Broker member = connect("member-" + type, "queueType", type);
            Broker pub = connect("cpub-" + type, "queueType", type);
            Inbox inbox = new Inbox();
            var sub = member.subscribe(topic, inbox, SubscribeOptions.builder().queue(group).durable(true).build());
            pub.publish(topic, Message.of("before"));
            inbox.awaitCount(1, Duration.ofSeconds(10));
            assertThat(RabbitCtl.queueType(queue)).isEqualTo(type);

            RabbitCtl.delete(List.of(queue), List.of());
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                    .until(() -> member.health().status() == dev.omnibus.broker.Health.Status.RECONNECTING
                            || RabbitCtl.queues().contains(queue));
            // either caught waiting, or already back: in both cases it must come back by itself
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> member.health().status() == dev.omnibus.broker.Health.Status.CONNECTED
                            && ((RabbitMqSubscription) sub).waitingFor() == null);
            assertThat(member.health().lastError()).contains(queue);
            assertThat(RabbitCtl.queueType(queue)).isEqualTo(type);
            pub.publish(topic, Message.of("after"));
            await().atMost(Duration.ofSeconds(10)).until(() -> inbox.bodies().contains("after"));
        }
    }

    @Test
    @DisplayName("a durable group on an existing classic queue with queueType=quorum: a clear error naming the queue and the fix, never a silent switch")
    void queueTypeMismatch() {
        String topic = "faults." + run + ".type";
        String group = "type-" + run;
        String queue = StaticTopology.groupQueueName("omnibus", group, topic);
        durableQueues.add(queue);
        connect("classic", "queueType", "classic").subscribe(topic, e -> { }, SubscribeOptions.builder().queue(group).durable(true).build());
        Broker quorum = connect("quorum");
        assertThatThrownBy(() -> quorum.subscribe(topic, e -> { }, SubscribeOptions.builder().queue(group).durable(true).build()))
                .isInstanceOf(BrokerException.class)
                .hasMessageContaining("'" + queue + "'")
                .hasMessageContaining("is a classic queue")
                .hasMessageContaining("queueType=classic")
                .hasMessageContaining("rabbitmqctl delete_queue");
        assertThat(RabbitCtl.queueType(queue)).isEqualTo("classic");
        assertThat(quorum.isConnected()).isTrue();
    }

    private Broker connect(String node, String... properties) {
        BrokerOptions.Builder o = RabbitMqBrokerCompatibilityTest.options(node + "-" + run).toBuilder();
        for (int i = 0; i < properties.length; i += 2) {
            o.property(properties[i], properties[i + 1]);
        }
        Broker b = Brokers.create(o.build());
        brokers.add(b);
        b.connect();
        return b;
    }
}
