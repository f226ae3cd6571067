package dev.omnibus.broker.kafka;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.tck.BrokerCompatibilityKit;
import dev.omnibus.broker.tck.BrokerServer;
import dev.omnibus.broker.tck.TcpProxy;

/**
 * The compatibility kit against the Kafka broker of {@link KafkaTestSupport#server()}: a KRaft
 * broker the fixture starts in a child JVM, or the cluster of {@code OMNIBUS_KAFKA_URL}.
 */
class KafkaBrokerCompatibilityTest extends BrokerCompatibilityKit {
    @Override
    protected Broker createBroker(String nodeId) {
        return Brokers.create(KafkaTestSupport.options(nodeId));
    }

    @Override
    protected String urlWithNothingListening() {
        return "kafka://127.0.0.1:1";
    }

    @Override
    protected long maxMessageBytes() {
        return KafkaSettings.DEFAULT_MAX_MESSAGE_BYTES;
    }

    /** Topics and consumer groups of the cluster. */
    @Override
    protected long serverResourceCount() {
        return KafkaTestSupport.resourceCount();
    }

    @Override
    protected BrokerServer restartableServer() {
        return KafkaTestSupport.server();
    }

    @Override
    protected BrokerOptions childOptions(String nodeId) {
        return KafkaTestSupport.options(nodeId);
    }

    /**
     * A proxy in front of the local broker's second listener, which advertises the proxy's own
     * address: a Kafka client bootstraps through the URL and then connects to the advertised
     * listeners, so only then does the proxy carry all of the client's traffic (behaviours 32, 39,
     * 43). Null (skipped) against an external cluster of {@code OMNIBUS_KAFKA_URL}.
     */
    @Override
    protected TcpProxy cuttableProxy() {
        return KafkaTestSupport.server().cuttableProxy();
    }
}
