package dev.omnibus.broker.nats;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.tck.BrokerCompatibilityKit;
import dev.omnibus.broker.tck.BrokerServer;
import dev.omnibus.broker.tck.BrokerServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;

/**
 * The compatibility kit in JetStream mode against NATS in containers started through
 * Testcontainers: the run's shared container, and a private one for the restart test. Skipped, with
 * the reason, when no Docker engine answers; image from {@code OMNIBUS_NATS_IMAGE}.
 */
class NatsContainerCompatibilityTest extends BrokerCompatibilityKit {
    private static BrokerServer shared;
    private static BrokerServer restartable;

    @BeforeAll
    static void docker() {
        Assumptions.assumeTrue(BrokerServers.dockerAvailable(), () -> "container-backed kit skipped: " + BrokerServers.whyNoDocker());
        shared = BrokerServers.natsContainer();
    }

    @AfterAll
    static void stopPrivate() {
        if (restartable != null) {
            restartable.close();
            restartable = null;
        }
    }

    @Override
    protected Broker createBroker(String nodeId) {
        return Brokers.create(BrokerOptions.builder().url(shared.url() + "?jetstream=true").nodeId(nodeId).build());
    }

    @Override
    protected String urlWithNothingListening() {
        return "nats://127.0.0.1:1?jetstream=true";
    }

    @Override
    protected long maxMessageBytes() {
        return 1024 * 1024;
    }

    @Override
    protected synchronized BrokerServer restartableServer() {
        if (restartable == null) {
            restartable = BrokerServers.privateNatsContainer();
        }
        return restartable;
    }
}
