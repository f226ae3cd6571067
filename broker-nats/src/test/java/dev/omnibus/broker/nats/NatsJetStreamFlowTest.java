package dev.omnibus.broker.nats;

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
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.ConsumerInfo;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The Flow form on JetStream, observed at the server: the consumer's ack-pending count is the bound. */
class NatsJetStreamFlowTest {
    static final String STREAM = "omnibus_flow_" + Message.newId().substring(0, 8);
    static final String URL = NatsCoreBrokerTest.URL + "?jetstream=true&stream=" + STREAM + "&ackWait=PT30S";

    private static Connection raw;
    private static JetStreamManagement jsm;
    private Broker broker;

    @BeforeAll
    static void admin() throws Exception {
        raw = Nats.connect(NatsCoreBrokerTest.URL);
        jsm = raw.jetStreamManagement();
    }

    @AfterAll
    static void cleanUp() throws Exception {
        try {
            jsm.deleteStream(STREAM);
        } catch (JetStreamApiException notThere) {
            // nothing to delete
        }
        raw.close();
    }

    @AfterEach
    void disconnect() {
        if (broker != null) {
            broker.disconnect();
        }
    }

    @Test
    @DisplayName("a subscriber that requested 3 of 30 with prefetch 5: 3 delivered, the server has exactly 5 ack-pending and 22 waiting")
    void demandReachesTheServer() throws Exception {
        broker = Brokers.create(URL);
        broker.connect();
        String topic = "flowjs" + Message.newId().substring(0, 8) + ".orders";
        String group = "billing";
        EventPublisher pub = Subscriptions.publisher(broker, topic, SubscribeOptions.builder().queue(group).prefetch(5).build());
        FlowRecorder recorder = new FlowRecorder(3);
        pub.subscribe(recorder);
        List<Event> got = recorder.events;
        for (int i = 0; i < 30; i++) {
            broker.publish(topic, Message.of("o" + i));
        }
        String consumer = ConsumerNames.group(group, topic);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            ConsumerInfo info = jsm.getConsumerInfo(STREAM, consumer);
            assertThat(got).hasSize(3);
            assertThat(info.getNumAckPending()).as("ack pending at the server").isEqualTo(5);
            assertThat(info.getNumPending()).as("not yet delivered by the server").isEqualTo(22);
        });
        assertThat(jsm.getConsumerInfo(STREAM, consumer).getNumAckPending()).isLessThanOrEqualTo(5);
        pub.unsubscribe();
    }
}
