package dev.omnibus.broker.rabbitmq;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.tck.BrokerServer;

/**
 * The compatibility kit with {@code queueType=classic}: durable groups on classic queues, as before
 * quorum queues became the default ({@link RabbitMqBrokerCompatibilityTest} runs the default). The
 * server-restart test is left to that class, so the shared server is restarted once per build.
 */
class RabbitMqClassicQueuesCompatibilityTest extends RabbitMqBrokerCompatibilityTest {
    @Override
    protected Broker createBroker(String nodeId) {
        return Brokers.create(classic(nodeId));
    }

    static BrokerOptions classic(String nodeId) {
        return options(nodeId).toBuilder().property("queueType", "classic").build();
    }

    @Override
    protected BrokerOptions optionsWithWrongCredentials(String wrongPassword) {
        return classic("wrong").toBuilder().credentials("guest", wrongPassword).build();
    }

    @Override
    protected BrokerServer restartableServer() {
        return null;
    }
}
