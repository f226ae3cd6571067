package dev.omnibus.broker.rabbitmq;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.tck.BrokerServer;
import dev.omnibus.broker.tck.ContainerCompatibilityKit;
import dev.omnibus.broker.tck.BrokerServers;

/**
 * The compatibility kit against RabbitMQ in containers started through Testcontainers: the run's
 * shared container for the kit, and a private one for the restart test (restarted with docker
 * stop/start, never the shared server). Skipped, with the reason, when no Docker engine answers;
 * image from {@code OMNIBUS_RABBITMQ_IMAGE}.
 */
class RabbitMqContainerCompatibilityTest extends ContainerCompatibilityKit {
    @Override
    protected BrokerServer sharedServer() {
        return BrokerServers.rabbitMqContainer();
    }

    @Override
    protected BrokerServer newPrivateServer() {
        return BrokerServers.privateRabbitMqContainer();
    }

    @Override
    protected Broker createBroker(String nodeId) {
        BrokerOptions o = RabbitMqBrokerCompatibilityTest.options(nodeId);
        return Brokers.create(o.toBuilder().url(sharedServer().url()).build());
    }

    @Override
    protected String urlWithNothingListening() {
        return "amqp://guest:guest@127.0.0.1:1";
    }

    @Override
    protected long maxMessageBytes() {
        return ConnectionSettings.DEFAULT_MAX_MESSAGE_BYTES;
    }

    @Override
    protected BrokerOptions optionsWithWrongCredentials(String wrongPassword) {
        return createBroker("wrong").options().toBuilder().url(BrokerServers.withAddress(sharedServer().url().replace("guest:guest@", ""),
                "127.0.0.1", java.net.URI.create(sharedServer().url()).getPort())).credentials("guest", wrongPassword).build();
    }
}
