package dev.omnibus.broker.kafka;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.tck.BrokerServer;
import dev.omnibus.broker.tck.ContainerCompatibilityKit;
import dev.omnibus.broker.tck.BrokerServers;
import dev.omnibus.broker.tck.TcpProxy;

/**
 * The compatibility kit against Kafka (KRaft broker+controller) in containers started through
 * Testcontainers: the run's shared container, with its cuttable listener for the connection-cut
 * tests, and a private one for the restart test. Skipped, with the reason, when no Docker engine
 * answers; image from {@code OMNIBUS_KAFKA_IMAGE} (built by scripts/docker-for-tests.sh).
 */
class KafkaContainerCompatibilityTest extends ContainerCompatibilityKit {
    @Override
    protected BrokerServer sharedServer() {
        return BrokerServers.kafkaContainer();
    }

    @Override
    protected BrokerServer newPrivateServer() {
        return BrokerServers.privateKafkaContainer();
    }

    @Override
    protected Broker createBroker(String nodeId) {
        return Brokers.create(KafkaTestSupport.options(sharedServer(), nodeId));
    }

    @Override
    protected String urlWithNothingListening() {
        return "kafka://127.0.0.1:1";
    }

    @Override
    protected long maxMessageBytes() {
        return KafkaSettings.DEFAULT_MAX_MESSAGE_BYTES;
    }

    /** Topics and consumer groups of the container's cluster. */
    @Override
    protected long serverResourceCount() {
        return KafkaTestSupport.resourceCount(sharedServer());
    }

    @Override
    protected BrokerOptions childOptions(String nodeId) {
        return KafkaTestSupport.options(sharedServer(), nodeId);
    }

    /** A proxy in front of the container's CUT listener, which advertises the proxy's port (behaviours 32, 39, 43). */
    @Override
    protected TcpProxy cuttableProxy() {
        return sharedServer().cuttableProxy();
    }
}
