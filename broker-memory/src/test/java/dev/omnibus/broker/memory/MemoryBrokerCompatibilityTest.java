package dev.omnibus.broker.memory;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.tck.BrokerCompatibilityKit;

/** The compatibility kit against the in-memory broker; nodes share the bus {@code memory://tck}. */
class MemoryBrokerCompatibilityTest extends BrokerCompatibilityKit {
    @Override
    protected Broker createBroker(String nodeId) {
        return Brokers.create(BrokerOptions.builder().url("memory://tck").nodeId(nodeId).build());
    }

    @Override
    protected long maxMessageBytes() {
        return MemoryBroker.DEFAULT_MAX_MESSAGE_BYTES;
    }
}
