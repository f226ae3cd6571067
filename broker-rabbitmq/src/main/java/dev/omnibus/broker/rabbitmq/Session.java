package dev.omnibus.broker.rabbitmq;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Recoverable;
import dev.omnibus.broker.BrokerException;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.NotConnectedException;
import dev.omnibus.broker.support.ConnectionGate;
import dev.omnibus.broker.support.PendingRequests;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Everything that lives as long as one connection: the connection, the topology, the publisher, the
 * node consumer and the timer. Subscriptions get the session they were made on, so they never ask
 * their broker for it.
 */
final class Session {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Session.class);
    /** The pseudo-queue prefix of RabbitMQ's direct reply-to. */
    static final String DIRECT_REPLY_TO = "amq.rabbitmq.reply-to";
    private static final AtomicLong CONSUMERS = new AtomicLong();

    final ConnectionSettings settings;
    final Connection connection;
    final StaticTopology topology;
    final String address;
    final ConnectionGate gate;
    final ScheduledExecutorService timer;
    final ExecutorService retries;
    final PendingRequests pending;
    private final java.util.Set<GroupConsumer> groups = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.Set<GroupConsumer> waiting = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private RabbitMqBroker broker;
    ChannelPool pool;
    /** Plain (non-confirm) channels for replies. */
    ChannelPool replyPool;
    Publisher publisher;
    NodeConsumer node;

    Session(ConnectionSettings settings, Connection connection, StaticTopology topology, String address) {
        this.settings = settings;
        this.connection = connection;
        this.topology = topology;
        this.address = address;
        this.gate = new ConnectionGate(true);
        String node = settings.options.nodeId();
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, daemon("omnibus-rabbitmq-timer-" + node));
        // every publish and request arms a timeout that is almost always cancelled: do not let them pile up
        t.setRemoveOnCancelPolicy(true);
        this.timer = t;
        this.retries = Executors.newCachedThreadPool(daemon("omnibus-rabbitmq-publish-" + node));
        this.pending = new PendingRequests(timer);
    }

    /** A consumer tag unique in this JVM, naming the node. */
    String consumerTag() {
        return "omnibus." + settings.options.nodeId() + "." + CONSUMERS.incrementAndGet();
    }

    /** Publishes (confirmed) to the exchange. */
    CompletableFuture<Void> publish(String topic, Message message) {
        return publisher.send(topology.exchange, topic, topic, message, false);
    }

    /**
     * Sends a reply straight to the requester's reply queue through the default exchange, on a plain
     * channel: no confirm to wait for or to track (on a default-exchange route to an existing queue a
     * confirm says nothing the requester will not see, and the handler, and the ack of the request,
     * need not wait a second round trip). Mandatory, so a reply whose queue is gone is returned and
     * logged as a warning (except to RabbitMQ's direct reply-to, which returns mandatory replies it
     * delivers). A failure known at once (too large, disconnecting) throws; one while the connection
     * is down is sent again once it recovers, and if it does not recover within the publish timeout
     * the reply is logged as a warning; a channel error is logged by {@link ChannelPool}. A reply
     * written just before the connection drops counts as sent (no confirm says otherwise) and is
     * neither resent nor logged. Either way the request then fails with its timeout.
     */
    void sendReply(String replyTo, Message reply) {
        // RabbitMQ returns a mandatory reply to direct reply-to even though it delivers it: not mandatory there
        boolean mandatory = !replyTo.startsWith(DIRECT_REPLY_TO);
        CompletableFuture<Void> sent = publisher.send("", replyTo, replyTo, reply, mandatory, false);
        if (sent.isDone()) {
            // failed before it was sent: the handler sees it, as for a publish
            publisher.rethrowIfFailed(sent);
            return;
        }
        sent.whenComplete((v, e) -> {
            if (e != null) {
                LOG.warn("Reply {} to '{}' (correlation id {}) was not delivered: {}; the request fails with its timeout",
                        reply.id(), replyTo, reply.header(dev.omnibus.broker.Headers.CORRELATION_ID), e.getMessage());
            }
        });
    }

    /** A group consumer of this session (for the check after a connection recovery). */
    void addGroup(GroupConsumer c) {
        groups.add(c);
    }

    void removeGroup(GroupConsumer c) {
        groups.remove(c);
        groupResumed(c);
    }

    /** A group consumer lost its consumer and waits to re-subscribe: health() says so. */
    void groupWaiting(GroupConsumer c) {
        waiting.add(c);
        RabbitMqBroker b = broker;
        if (b != null) {
            b.subscriptionWaiting(c.waitingFor());
        }
    }

    void groupResumed(GroupConsumer c) {
        waiting.remove(c);
    }

    /** Why some subscription receives nothing now (its consumer waits to re-subscribe), or null. */
    String waitingGroup() {
        for (GroupConsumer c : waiting) {
            String why = c.waitingFor();
            if (why != null) {
                return why;
            }
        }
        return null;
    }

    void start(RabbitMqBroker broker) throws IOException {
        this.broker = broker;
        RecoveryGate recovery = new RecoveryGate(gate, address);
        connection.addShutdownListener(recovery);
        ((Recoverable) connection).addRecoveryListener(recovery);
        connection.addShutdownListener(cause -> broker.connectionLost(cause));
        ((Recoverable) connection).addRecoveryListener(new com.rabbitmq.client.RecoveryListener() {
            @Override
            public void handleRecovery(Recoverable recoverable) {
                topology.afterRecovery();
                groups.forEach(GroupConsumer::checkRecovered);
                broker.connectionRestored();
            }

            @Override
            public void handleRecoveryStarted(Recoverable recoverable) {
                // the shutdown listener already reported the loss
            }
        });
        topology.declareBase(connection);
        pool = new ChannelPool(connection, settings.publishChannels,
                (code, text, exchange, key, props, body) -> broker.onReturn(code, text, exchange, key, props));
        // a reply whose queue is gone (its requester disconnected) comes back as mandatory: say so
        replyPool = new ChannelPool(connection, settings.publishChannels, (code, text, exchange, key, props, body) ->
                LOG.warn("Reply {} to '{}' (correlation id {}) was returned by RabbitMQ at {}: {}; its requester is gone",
                        props.getMessageId(), key, props.getCorrelationId(), address, text), false);
        publisher = new Publisher(pool, replyPool, gate, timer, retries, settings, address);
        node = new NodeConsumer(topology, pending);
        node.start(connection, settings.nodePrefetch, consumerTag(), consumerTag());
    }

    void awaitOpen(String what) {
        try {
            if (!gate.await(System.nanoTime() + settings.options.publishTimeout().toNanos())) {
                throw new BrokerException("cannot " + what + ": the connection to RabbitMQ at " + address
                        + " is down and did not recover within " + settings.options.publishTimeout());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerException("interrupted while waiting to " + what);
        }
    }

    void close(Duration timeout) {
        gate.close(new NotConnectedException("the rabbitmq broker at " + address + " disconnected"));
        if (node != null) {
            node.close();
        }
        pending.failAll(new NotConnectedException("request abandoned: the rabbitmq broker at " + address + " disconnected"));
        if (pool != null) {
            pool.close();
        }
        if (replyPool != null) {
            replyPool.close();
        }
        topology.close();
        try {
            if (connection.isOpen()) {
                connection.close((int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
            } else {
                connection.abort();
            }
        } catch (IOException | RuntimeException e) {
            // already closed or closing: nothing left to release
        }
        timer.shutdownNow();
        retries.shutdownNow();
    }

    private static ThreadFactory daemon(String name) {
        AtomicLong n = new AtomicLong();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
