package dev.omnibus.broker.rabbitmq;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.tck.BrokerCompatibilityKit;
import dev.omnibus.broker.tck.BrokerServers;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;

/** The compatibility kit against the RabbitMQ server of {@link BrokerServers#rabbitMqUrl()}. */
class RabbitMqBrokerCompatibilityTest extends BrokerCompatibilityKit {
    @Override
    protected Broker createBroker(String nodeId) {
        return Brokers.create(options(nodeId));
    }

    static BrokerOptions options(String nodeId) {
        return BrokerOptions.builder()
                .url(BrokerServers.rabbitMqUrl())
                .nodeId(nodeId)
                .connectTimeout(Duration.ofSeconds(5))
                .publishTimeout(Duration.ofSeconds(10))
                .shutdownTimeout(Duration.ofSeconds(5))
                // test groups leave nothing behind for long
                .property("groupQueueExpires", "5000")
                .property("recoveryInterval", "500")
                .build();
    }

    /** Durable group queues outlive their members by design; those of kit topics go once the kit is done. */
    @AfterAll
    static void deleteDurableKitQueues() throws Exception {
        RabbitCtl.delete(RabbitCtl.durableQueues().stream()
                .filter(q -> q.startsWith(ConnectionSettings.DEFAULT_EXCHANGE + ".group.") && q.contains(":tck."))
                .collect(Collectors.toList()), List.of());
    }

    @Override
    protected String urlWithNothingListening() {
        return "amqp://guest:guest@127.0.0.1:1";
    }
}
