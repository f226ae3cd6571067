package dev.omnibus.broker.rabbitmq;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.tck.BrokerCompatibilityKit;
import dev.omnibus.broker.tck.BrokerServer;
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

    /**
     * Durable group queues (and the guard exchanges of classic ones) outlive their members by design;
     * those of kit topics go once the kit is done.
     */
    @AfterAll
    static void deleteDurableKitQueues() throws Exception {
        RabbitCtl.delete(RabbitCtl.durableQueues().stream()
                .filter(q -> q.startsWith(ConnectionSettings.DEFAULT_EXCHANGE + ".group.") && q.matches(".*:tck[0-9a-z]*\\..*"))
                .collect(Collectors.toList()), RabbitCtl.exchanges().stream()
                .filter(x -> x.startsWith(ConnectionSettings.DEFAULT_EXCHANGE + ".guard.") && x.matches(".*:tck[0-9a-z]*\\..*"))
                .collect(Collectors.toList()));
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
        return options("wrong").toBuilder().credentials("guest", wrongPassword).build();
    }

    /** Queues of the default vhost, counted by rabbitmqctl. */
    @Override
    protected long serverResourceCount() {
        return RabbitCtl.queues().size();
    }

    /**
     * The local server, restarted with {@code OMNIBUS_RABBITMQ_RESTART} (default
     * {@code rabbitmqctl stop_app && rabbitmqctl start_app}); always started again afterwards.
     */
    @Override
    protected BrokerServer restartableServer() {
        return BrokerServers.rabbitMqLocal();
    }
}
