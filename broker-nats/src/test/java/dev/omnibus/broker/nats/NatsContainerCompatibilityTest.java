package dev.omnibus.broker.nats;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.tck.BrokerServer;
import dev.omnibus.broker.tck.ContainerCompatibilityKit;
import dev.omnibus.broker.tck.BrokerServers;

/**
 * The compatibility kit in JetStream mode against NATS in containers started through
 * Testcontainers: the run's shared container, and a private one for the restart test. Skipped, with
 * the reason, when no Docker engine answers; image from {@code OMNIBUS_NATS_IMAGE}.
 */
class NatsContainerCompatibilityTest extends ContainerCompatibilityKit {
    @Override
    protected BrokerServer sharedServer() {
        return BrokerServers.natsContainer();
    }

    @Override
    protected BrokerServer newPrivateServer() {
        return BrokerServers.privateNatsContainer();
    }

    @Override
    protected Broker createBroker(String nodeId) {
        return Brokers.create(BrokerOptions.builder().url(sharedServer().url() + "?jetstream=true").nodeId(nodeId).build());
    }

    @Override
    protected String urlWithNothingListening() {
        return "nats://127.0.0.1:1?jetstream=true";
    }

    @Override
    protected long maxMessageBytes() {
        return 1024 * 1024;
    }
}
