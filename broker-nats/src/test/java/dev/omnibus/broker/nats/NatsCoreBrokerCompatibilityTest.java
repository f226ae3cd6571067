package dev.omnibus.broker.nats;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.tck.BrokerCompatibilityKit;
import dev.omnibus.broker.tck.BrokerServers;

/** The compatibility kit against core NATS. */
class NatsCoreBrokerCompatibilityTest extends BrokerCompatibilityKit {
    @Override
    protected Broker createBroker(String nodeId) {
        return Brokers.create(BrokerOptions.builder().url(BrokerServers.requireListening(BrokerServers.natsUrl())).nodeId(nodeId).build());
    }

    @Override
    protected String urlWithNothingListening() {
        return "nats://127.0.0.1:1";
    }

    /** The server's default max_payload. */
    @Override
    protected long maxMessageBytes() {
        return 1024 * 1024;
    }
}
