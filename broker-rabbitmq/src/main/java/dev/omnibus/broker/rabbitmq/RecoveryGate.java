package dev.omnibus.broker.rabbitmq;

import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import com.rabbitmq.client.ShutdownListener;
import com.rabbitmq.client.ShutdownSignalException;
import dev.omnibus.broker.support.ConnectionGate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds the session's {@link ConnectionGate} from amqp-client: down when the connection drops, up
 * again once amqp-client has recovered the connection <em>and</em> its topology (so a publish after
 * that is routed to the recovered queues). Publishers and subscribers wait at the gate.
 */
final class RecoveryGate implements ShutdownListener, RecoveryListener {
    private static final Logger LOG = LoggerFactory.getLogger(RecoveryGate.class);

    private final ConnectionGate gate;
    private final String address;

    RecoveryGate(ConnectionGate gate, String address) {
        this.gate = gate;
        this.address = address;
    }

    @Override
    public void shutdownCompleted(ShutdownSignalException cause) {
        if (gate.markDown() && !cause.isInitiatedByApplication()) {
            LOG.warn("Connection to RabbitMQ at {} lost ({}); recovering, publishers wait for it", address, AmqpErrors.text(cause));
        }
    }

    @Override
    public void handleRecovery(Recoverable recoverable) {
        if (gate.markUp()) {
            LOG.info("Connection to RabbitMQ at {} recovered with its queues, bindings and consumers", address);
        }
    }

    @Override
    public void handleRecoveryStarted(Recoverable recoverable) {
        LOG.debug("Recovering the connection to {}", address);
    }
}
