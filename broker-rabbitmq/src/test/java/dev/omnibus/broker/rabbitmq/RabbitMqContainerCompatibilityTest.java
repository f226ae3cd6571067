package dev.omnibus.broker.rabbitmq;

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
 * The compatibility kit against RabbitMQ in containers started through Testcontainers: the run's
 * shared container for the kit, and a private one for the restart test (restarted with docker
 * stop/start, never the shared server). Skipped, with the reason, when no Docker engine answers;
 * image from {@code OMNIBUS_RABBITMQ_IMAGE}.
 */
class RabbitMqContainerCompatibilityTest extends BrokerCompatibilityKit {
    private static BrokerServer shared;
    private static BrokerServer restartable;

    @BeforeAll
    static void docker() {
        Assumptions.assumeTrue(BrokerServers.dockerAvailable(), () -> "container-backed kit skipped: " + BrokerServers.whyNoDocker());
        shared = BrokerServers.rabbitMqContainer();
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
        BrokerOptions o = RabbitMqBrokerCompatibilityTest.options(nodeId);
        return Brokers.create(o.toBuilder().url(shared.url()).build());
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
        return createBroker("wrong").options().toBuilder().url(BrokerServers.withAddress(shared.url().replace("guest:guest@", ""),
                "127.0.0.1", java.net.URI.create(shared.url()).getPort())).credentials("guest", wrongPassword).build();
    }

    @Override
    protected synchronized BrokerServer restartableServer() {
        if (restartable == null) {
            restartable = BrokerServers.privateRabbitMqContainer();
        }
        return restartable;
    }
}
