package dev.omnibus.broker.nats;

import dev.omnibus.broker.support.DeliveryQueue;
import dev.omnibus.broker.support.WarningThrottle;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Consumer;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamSubscription;
import io.nats.client.support.Status;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns jnats connection and error callbacks into log lines a person can act on: one line per
 * state change (never one per message or per reconnect attempt), slow-consumer warnings at most
 * once per subscription per {@link DeliveryQueue#WARN_INTERVAL}, and lets publishers wait for the
 * connection to come back.
 */
final class ConnectionMonitor implements ConnectionListener, ErrorListener {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionMonitor.class);

    private final String address;
    private final List<String> secrets;
    private final Map<Consumer, String> consumerNames = new ConcurrentHashMap<>();
    private final Map<String, WarningThrottle> throttles = new ConcurrentHashMap<>();
    private final java.util.concurrent.CompletableFuture<String> refusal = new java.util.concurrent.CompletableFuture<>();
    private volatile Events lastEvent;
    private volatile boolean established;
    private final java.util.concurrent.atomic.AtomicLong losses = new java.util.concurrent.atomic.AtomicLong();
    private volatile Runnable onReconnect = () -> { };
    private volatile Runnable onDisconnect = () -> { };

    ConnectionMonitor(String address, List<String> secrets) {
        this.address = address;
        this.secrets = secrets;
    }

    /** From now on state changes are news; before, a failed first connect is reported by the exception alone. */
    void established() {
        established = true;
    }

    /** Runs {@code action} (on the jnats callback thread: hand blocking work elsewhere) after every reconnect. */
    /** Runs on the connection's event thread each time the connection is lost (after the first connect). */
    void onDisconnect(Runnable action) {
        onDisconnect = action;
    }

    void onReconnect(Runnable action) {
        onReconnect = action;
    }

    /** Names {@code consumer} (a subscription's dispatcher) in slow-consumer warnings. */
    void register(Consumer consumer, String subscription) {
        consumerNames.put(consumer, subscription);
    }

    void unregister(Consumer consumer) {
        consumerNames.remove(consumer);
    }

    @Override
    @SuppressWarnings("deprecation")
    public void connectionEvent(Connection conn, Events type) {
        connectionEvent(conn, type, null, null);
    }

    @Override
    public void connectionEvent(Connection conn, Events type, Long time, String uriDetails) {
        Events previous = lastEvent;
        lastEvent = type;
        if (type == Events.DISCONNECTED) {
            losses.incrementAndGet();
        }
        synchronized (this) {
            notifyAll();
        }
        if (!established) {
            return;
        }
        if (type == Events.RECONNECTED) {
            onReconnect.run();
        } else if (type == Events.DISCONNECTED) {
            onDisconnect.run();
        }
        if (type == previous) {
            return;
        }
        switch (type) {
            case DISCONNECTED -> LOG.warn("Lost the connection to NATS at {}; reconnecting", address);
            case RECONNECTED -> LOG.info("Reconnected to NATS at {}", safe(conn.getConnectedUrl()));
            case RESUBSCRIBED -> LOG.debug("Subscriptions restored on {}", address);
            case LAME_DUCK -> LOG.warn("NATS server {} entered lame duck mode; the client will move to another server", address);
            case CLOSED -> LOG.debug("Connection to NATS at {} closed", address);
            default -> LOG.debug("NATS connection event {} on {}", type, address);
        }
    }

    /** How many times the connection has been lost so far; a change means requests sent before may never be answered. */
    long losses() {
        return losses.get();
    }

    /**
     * Waits until {@code conn} is connected or {@code timeout} passes.
     *
     * @return true if connected
     */
    boolean awaitConnected(Connection conn, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (conn.getStatus() != Connection.Status.CONNECTED) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || conn.getStatus() == Connection.Status.CLOSED) {
                    return false;
                }
                try {
                    // the listener notifies on every state change; the bound guards against a missed one
                    TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * Completes with the server's error when it refuses the client for good (credentials, TLS):
     * jnats would otherwise keep retrying until the connect timeout.
     */
    java.util.concurrent.CompletableFuture<String> refusal() {
        return refusal;
    }

    @Override
    public void errorOccurred(Connection conn, String error) {
        String lower = error == null ? "" : error.toLowerCase(java.util.Locale.ROOT);
        if (lower.contains("authorization") || lower.contains("authentication") || lower.contains("tls") || lower.contains("ssl")) {
            refusal.complete(safe(error));
        }
        if (established && once("error:" + error)) {
            LOG.warn("NATS server {} reported: {}", address, safe(error));
        }
    }

    @Override
    public void exceptionOccurred(Connection conn, Exception exp) {
        String lower = String.valueOf(exp.getMessage()).toLowerCase(java.util.Locale.ROOT);
        if (exp instanceof io.nats.client.AuthenticationException || lower.contains("ssl") || lower.contains("tls")) {
            refusal.complete(safe(exp.getClass().getSimpleName() + ": " + exp.getMessage()));
        }
        if (!established) {
            return;
        }
        if (conn.getStatus() != Connection.Status.CONNECTED) {
            // failed reconnect attempts: the DISCONNECTED warning already said so
            LOG.debug("NATS connection to {}: {}", address, safe(exp.toString()));
        } else if (once("exception:" + exp.getClass().getName())) {
            LOG.warn("NATS connection to {}: {}", address, safe(exp.toString()));
        }
    }

    @Override
    public void slowConsumerDetected(Connection conn, Consumer consumer) {
        String name = consumerNames.getOrDefault(consumer, "(internal)");
        if (once("slow:" + name)) {
            LOG.warn("Slow consumer: subscription '{}' cannot keep up; the client dropped {} messages so far "
                    + "(raise concurrency or make the handler faster)", name, consumer.getDroppedCount());
        }
    }

    @Override
    public void heartbeatAlarm(Connection conn, JetStreamSubscription sub, long lastStreamSequence, long lastConsumerSequence) {
        if (once("heartbeat:" + sub.getSubject())) {
            LOG.warn("JetStream heartbeats missed for consumer on '{}'; the server may be unreachable", sub.getSubject());
        }
    }

    @Override
    public void pullStatusError(Connection conn, JetStreamSubscription sub, Status status) {
        if (once("pull:" + sub.getSubject() + status.getCode())) {
            LOG.warn("JetStream pull on '{}' failed: {}", sub.getSubject(), status.getMessageWithCode());
        }
    }

    @Override
    public void pullStatusWarning(Connection conn, JetStreamSubscription sub, Status status) {
        LOG.debug("JetStream pull on '{}': {}", sub.getSubject(), status.getMessageWithCode());
    }

    private boolean once(String key) {
        return throttles.computeIfAbsent(key, k -> new WarningThrottle()).ready();
    }

    private String safe(String text) {
        return ConnectErrors.scrub(text, secrets);
    }
}
