package dev.omnibus.broker.kafka;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.tck.BrokerCompatibilityKit;
import dev.omnibus.broker.tck.BrokerServer;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The compatibility kit against the Kafka broker of {@link KafkaTestSupport#server()}: a KRaft
 * broker the fixture starts in a child JVM, or the cluster of {@code OMNIBUS_KAFKA_URL}.
 */
@ExtendWith(KafkaKitConditions.class)
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
}
