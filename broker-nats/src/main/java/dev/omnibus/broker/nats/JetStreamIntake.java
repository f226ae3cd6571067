package dev.omnibus.broker.nats;

import dev.omnibus.broker.SubscribeOptions;
import io.nats.client.ConsumeOptions;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.MessageConsumer;
import io.nats.client.MessageHandler;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JetStream side of a subscription: a pull consumer on the broker's stream, consumed on the
 * subscription's dispatcher.
 *
 * <p>Consumers: a durable group binds to the durable consumer {@link ConsumerNames#durable}; a
 * non-durable group to the named consumer {@link ConsumerNames#group}, removed by the server after
 * the inactive threshold; a broadcast subscription gets its own server-named consumer, deleted when
 * it closes (and by the inactive threshold if the process dies). All start with the messages
 * published after they are created, ack explicitly and redeliver without a server-side limit (the
 * shared delivery rule gives up after {@code maxDeliveries});
 * a broadcast consumer the server forgot in a restart is re-created right after the last stream
 * sequence its subscription received, so what was published meanwhile still reaches it.
 * A pattern starting with a wildcard cannot be a stream filter here, so its consumer reads the
 * whole stream and {@link #filtersInClient()} tells the subscription to drop (ack) what does not
 * match.
 */
final class JetStreamIntake {
    private static final Logger LOG = LoggerFactory.getLogger(JetStreamIntake.class);
    private static final int MIN_ACK_PENDING = 1000;
    private static final long UNKNOWN = -1;

    private final Connection connection;
    private final JetStreamManagement jsm;
    private final StreamManager streams;
    private final NatsSettings settings;
    private final String pattern;
    private final SubscribeOptions options;
    private final boolean filterInClient;
    private volatile String consumerName;
    private volatile MessageConsumer consumer;
    /** The server the consumer was made on; a reconnect to another one (a restart) means start afresh. */
    private volatile String serverId;
    /**
     * The last stream sequence this broadcast subscription has seen (or the stream's last when it
     * started): a consumer re-created after a server restart starts right after it.
     */
    private final java.util.concurrent.atomic.AtomicLong position = new java.util.concurrent.atomic.AtomicLong(UNKNOWN);

    JetStreamIntake(Connection connection, JetStreamManagement jsm, StreamManager streams, NatsSettings settings,
            String pattern, SubscribeOptions options) {
        this.connection = connection;
        this.jsm = jsm;
        this.streams = streams;
        this.settings = settings;
        this.pattern = pattern;
        this.options = options;
        String first = StreamManager.firstToken(pattern);
        this.filterInClient = first.equals("*") || first.equals(">");
    }

    boolean filtersInClient() {
        return filterInClient;
    }

    void start(Dispatcher dispatcher, MessageHandler handler) throws IOException, JetStreamApiException {
        start(dispatcher, handler, 0);
    }

    /** Notes that a message with stream sequence {@code streamSequence} arrived. */
    void seen(long streamSequence) {
        if (options.queue() == null) {
            position.accumulateAndGet(streamSequence, Math::max);
        }
    }

    /** Starts consuming; {@code from} > 0 starts at that stream sequence instead of at new messages. */
    private void start(Dispatcher dispatcher, MessageHandler handler, long from) throws IOException, JetStreamApiException {
        streams.ensure(pattern);
        ConsumerConfiguration.Builder b = ConsumerConfiguration.builder()
                .ackPolicy(AckPolicy.Explicit)
                .deliverPolicy(from > 0 ? DeliverPolicy.ByStartSequence : DeliverPolicy.New)
                .ackWait(settings.ackWait())
                .maxDeliver(-1) // the shared DeliveryRule gives up after maxDeliveries; the server keeps a message it could not dead-letter
                // manual ack: prefetch is the bound on unsettled deliveries, at the server too
                .maxAckPending(options.autoAck() ? Math.max(MIN_ACK_PENDING, 4L * options.prefetch()) : options.prefetch());
        if (from > 0) {
            b.startSequence(from);
        }
        if (!filterInClient) {
            b.filterSubject(pattern);
        }
        if (options.queue() == null) {
            b.inactiveThreshold(settings.inactiveThreshold());
        } else if (options.durable()) {
            b.durable(ConsumerNames.durable(options.queue(), pattern));
        } else {
            b.name(ConsumerNames.group(options.queue(), pattern)).inactiveThreshold(settings.inactiveThreshold());
        }
        io.nats.client.api.ConsumerInfo created = jsm.addOrUpdateConsumer(streams.stream(), b.build());
        String name = created.getName();
        if (options.queue() == null && from == 0) {
            // a new broadcast consumer starts after the stream's last message: that is where it stands
            position.accumulateAndGet(created.getDelivered().getStreamSequence(), Math::max);
        }
        serverId = connection.getServerInfo() == null ? null : connection.getServerInfo().getServerId();
        consumerName = name;
        consumer = connection.getConsumerContext(streams.stream(), name)
                .consume(ConsumeOptions.builder().batchSize(options.prefetch()).build(), dispatcher, handler);
        LOG.debug("Consuming '{}' from stream '{}' through consumer '{}'", pattern, streams.stream(), name);
    }

    /**
     * Starts pulling afresh after a reconnect: the server may have restarted and forgotten the
     * pull requests (and, for ephemeral consumers, the consumer itself).
     */
    void restart(Dispatcher dispatcher, MessageHandler handler) throws IOException, JetStreamApiException {
        MessageConsumer old = consumer;
        String oldName = consumerName;
        if (old != null) {
            try {
                old.close();
            } catch (Exception e) {
                LOG.debug("Closing consumer '{}' before restarting it failed: {}", oldName, e.toString());
            }
        }
        String server = connection.getServerInfo() == null ? null : connection.getServerInfo().getServerId();
        boolean sameServer = server != null && server.equals(serverId);
        if (oldName != null && sameServer) {
            // only the connection was lost, not the server: the consumer still holds everything published
            // meanwhile, so attach to it as it is; re-creating it (deliver policy New) would skip that
            try {
                consumer = connection.getConsumerContext(streams.stream(), oldName)
                        .consume(ConsumeOptions.builder().batchSize(options.prefetch()).build(), dispatcher, handler);
                return;
            } catch (JetStreamApiException e) {
                LOG.debug("Consumer '{}' not found after reconnect ({}); creating it", oldName, e.getErrorDescription());
            }
        }
        if (options.queue() == null && oldName != null) {
            try {
                jsm.deleteConsumer(streams.stream(), oldName);
            } catch (IOException | JetStreamApiException | RuntimeException e) {
                LOG.debug("Old consumer '{}' already gone: {}", oldName, e.toString());
            }
        }
        streams.ensure(pattern); // a server that lost the stream gets it back even with no publisher around
        start(dispatcher, handler, resumeFrom());
    }

    /**
     * Where a re-created broadcast consumer starts: right after what this subscription saw, so that
     * what was published while the server restarted is not skipped (from 1 if the stream was empty
     * when it started); 0 (new messages) for groups, for a subscription that never knew its position,
     * or when the stream is behind it (a stream that lost its data, or a new one of the same name).
     */
    private long resumeFrom() throws IOException, JetStreamApiException {
        long seen = position.get();
        if (options.queue() != null || seen == UNKNOWN) {
            return 0;
        }
        long last = jsm.getStreamInfo(streams.stream()).getStreamState().getLastSequence();
        if (seen <= last) {
            return seen + 1;
        }
        position.set(UNKNOWN); // a new stream: the new consumer's start becomes the position
        return 0;
    }

    /**
     * Called when the subscription stops taking messages; deliberately leaves the jnats consumer
     * pulling until the caller drains the dispatcher. A stopped jnats {@link MessageConsumer}
     * unsubscribes by itself (not draining) as soon as its last pull is filled, and the dispatcher
     * then silently drops what it still queues for that subscription: those messages stay unacked
     * at the server until {@code ackWait} ran out (30 s by default) instead of being handed back.
     * The drain makes the server drop our pull requests, and what arrives meanwhile is handed back
     * by the caller.
     */
    void stop() {
        // nothing: see above
    }

    void close() {
        MessageConsumer c = consumer;
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("Closing consumer '{}' failed: {}", consumerName, e.toString());
            }
        }
        // only while connected: a request now would wait out the timeout; the server removes it after inactiveThreshold
        if (options.queue() == null && consumerName != null && connection.getStatus() == Connection.Status.CONNECTED) {
            try {
                jsm.deleteConsumer(streams.stream(), consumerName);
            } catch (IOException | JetStreamApiException | RuntimeException e) {
                LOG.debug("Could not delete consumer '{}' (the server removes it after {} of inactivity): {}",
                        consumerName, settings.inactiveThreshold(), e.toString());
            }
        }
    }
}
