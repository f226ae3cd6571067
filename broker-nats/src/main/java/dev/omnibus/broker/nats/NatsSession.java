package dev.omnibus.broker.nats;

import dev.omnibus.broker.Message;
import dev.omnibus.broker.MessageTooLargeException;
import dev.omnibus.broker.SubscribeOptions;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStreamManagement;
import io.nats.client.impl.NatsMessage;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What one connection of a {@link NatsBroker} offers its subscriptions: the connection, its
 * monitor, the liveness round trips, the timer, JetStream consumers and replies. A subscription gets
 * the session it was made on and never asks its broker for any of it.
 */
final class NatsSession {
    final Connection connection;
    final ConnectionMonitor monitor;
    final LivenessCheck liveness;
    final ScheduledExecutorService timer;
    /** The broker's redacted address, for messages. */
    final String address;
    /** How long a subscribe may wait for the server to confirm it. */
    final Duration connectTimeout;
    private final NatsSettings settings;
    private final JetStreamManagement management;
    private final StreamManager streams;
    private Dispatcher shared;

    NatsSession(Connection connection, ConnectionMonitor monitor, LivenessCheck liveness, ScheduledExecutorService timer,
            NatsSettings settings, JetStreamManagement management, StreamManager streams, String address, Duration connectTimeout) {
        this.connection = connection;
        this.monitor = monitor;
        this.liveness = liveness;
        this.timer = timer;
        this.settings = settings;
        this.management = management;
        this.streams = streams;
        this.address = address;
        this.connectTimeout = connectTimeout;
    }

    /**
     * The one jnats dispatcher (one thread) of every core-mode subscription on this connection,
     * made on first use; it goes with the connection. Its callbacks only hand messages to the
     * subscriptions' buffers and never wait.
     */
    synchronized Dispatcher sharedDispatcher() {
        if (shared == null) {
            shared = connection.createDispatcher();
            monitor.register(shared, "(every core subscription: shared dispatcher)");
        }
        return shared;
    }

    /** How long JetStream waits for an ack before it redelivers. */
    Duration ackWait() {
        return settings.ackWait();
    }

    boolean isJetStream() {
        return settings.jetStream();
    }

    /** The request subject prefix in JetStream mode, null in core mode. */
    String requestPrefix() {
        return settings.jetStream() ? settings.requestPrefix() : null;
    }

    /** The JetStream side of a new subscription to {@code pattern}. */
    JetStreamIntake newIntake(String pattern, SubscribeOptions options) {
        return new JetStreamIntake(connection, management, streams, settings, pattern, options);
    }

    /** Publishes {@code reply} on core NATS to the requester's inbox. */
    void sendReply(String replyTo, Message reply) {
        NatsMessage m = NatsWire.toNats(replyTo, reply);
        checkSize(replyTo, m);
        connection.publish(m);
    }

    /** Refuses a message over the server's max_payload before it is sent. */
    void checkSize(String topic, NatsMessage m) {
        long limit = connection.getMaxPayload();
        long size = NatsWire.wireSize(m);
        if (limit > 0 && size > limit) {
            throw new MessageTooLargeException(topic, size, limit);
        }
    }
}
