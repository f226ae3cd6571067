package dev.omnibus.broker.nats;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.tck.BrokerCompatibilityKit;
import dev.omnibus.broker.tck.BrokerServer;
import dev.omnibus.broker.tck.BrokerServers;
import dev.omnibus.broker.tck.LocalNatsServer;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import org.junit.jupiter.api.AfterAll;

/**
 * The compatibility kit against JetStream, in a stream of its own that is deleted afterwards, so
 * the server keeps no stream or consumer from the run.
 */
class NatsJetStreamBrokerCompatibilityTest extends BrokerCompatibilityKit {
    private static LocalNatsServer privateServer;
    private static final String STREAM = "omnibus_tck_" + Message.newId().substring(0, 8);

    @Override
    protected Broker createBroker(String nodeId) {
        String url = BrokerServers.requireListening(BrokerServers.natsUrl());
        return Brokers.create(BrokerOptions.builder().url(url + "?jetstream=true&stream=" + STREAM).nodeId(nodeId).build());
    }

    @Override
    protected String urlWithNothingListening() {
        return "nats://127.0.0.1:1?jetstream=true";
    }

    /** The server's default max_payload. */
    @Override
    protected long maxMessageBytes() {
        return 1024 * 1024;
    }

    /** A nats-server of the kit's own with JetStream, so restarting it disturbs nobody; stopped after the class. */
    @Override
    protected synchronized BrokerServer restartableServer() {
        if (privateServer == null) {
            privateServer = BrokerServers.privateNats();
        }
        return privateServer;
    }

    @AfterAll
    @SuppressWarnings("try")
    static void deleteStream() throws Exception {
        if (privateServer != null) {
            privateServer.close();
            privateServer = null;
        }
        try (Connection c = Nats.connect(BrokerServers.natsUrl())) {
            JetStreamManagement jsm = c.jetStreamManagement();
            try {
                jsm.deleteStream(STREAM);
            } catch (JetStreamApiException notCreated) {
                // no test got as far as creating it
            }
            assertThat(jsm.getStreamNames()).doesNotContain(STREAM);
        }
    }
}
