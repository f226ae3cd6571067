package dev.omnibus.broker.support;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.Handler;
import dev.omnibus.broker.Health;
import dev.omnibus.broker.Limits;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.NotConnectedException;
import dev.omnibus.broker.PublishException;
import dev.omnibus.broker.PublishInterceptor;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Subscription;
import dev.omnibus.broker.Topics;
import dev.omnibus.broker.UnsupportedCapabilityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The part of a {@link Broker} that is the same for every backend: argument validation before
 * any I/O (topics, {@link Limits}), capability checks, the connect/disconnect state machine,
 * closing the broker's subscriptions on disconnect, the interceptor chains and {@link #health()}.
 * A backend implements the {@code do*} methods and may rely on them being called only with valid
 * arguments, and (except {@code doConnect}) only while connected.
 *
 * <p>Interceptors: {@link #subscribe} hands {@link #doSubscribe} the handler already wrapped in
 * the broker's and the subscription's {@link dev.omnibus.broker.HandlerInterceptor}s (the
 * handler itself when there are none), so a backend runs it with
 * {@link AbstractEvent#handleWith} as any handler; {@link #publish} and {@link #publishAsync}
 * run the {@link PublishInterceptor}s around {@link #doPublish} / {@link #doPublishAsync}.
 *
 * <p>Health: the status comes from {@link #isConnected()}'s two parts, the connected flag and
 * {@link #isLive()}. A backend that calls {@link #reportConnectionLost(Throwable)},
 * {@link #reportConnectionRestored()} and {@link #reportError(Throwable)} from its connection
 * listeners makes {@link Health#since()} exact and {@link Health#lastError()} informative.
 */
public abstract class AbstractBroker implements Broker {
    protected final Logger log = LoggerFactory.getLogger(getClass());
    private static final int VALID_TOPIC_SLOTS = 16;

    private final String name;
    private final Set<Capability> capabilities;
    private final Set<AbstractSubscription> subscriptions = ConcurrentHashMap.newKeySet();
    private final Object lifecycle = new Object();
    private volatile BrokerOptions options;
    private volatile boolean connected;
    /** True while disconnect() closes the subscriptions: no new subscription, but their handlers may still publish. */
    private volatile boolean closing;
    private final Object healthLock = new Object();
    private volatile Health.Status healthStatus = Health.Status.DISCONNECTED;
    private volatile Instant healthSince = Instant.now();
    private volatile String lastError;
    private final Object poolLock = new Object();
    private volatile HandlerPool handlerPool;
    /**
     * Topics that passed {@link Topics#validateTopic}, by their hash: a publisher that sends to the
     * same few topics validates each once instead of scanning it on every publish. Read and written
     * without a lock: a String is immutable, so a stale slot only costs one more validation.
     */
    private final String[] validTopics = new String[VALID_TOPIC_SLOTS];

    protected AbstractBroker(String name, BrokerOptions options, Set<Capability> capabilities) {
        this.name = Objects.requireNonNull(name);
        this.options = Objects.requireNonNull(options, "options must not be null");
        this.capabilities = Collections.unmodifiableSet(capabilities.isEmpty()
                ? EnumSet.noneOf(Capability.class) : EnumSet.copyOf(capabilities));
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final void init(BrokerOptions newOptions) {
        Objects.requireNonNull(newOptions, "options must not be null");
        synchronized (lifecycle) {
            if (connected) {
                throw new IllegalStateException("init() while connected to " + address()
                        + "; call disconnect() first, the new options take effect on the next connect()");
            }
            validateOptions(newOptions);
            this.options = newOptions;
        }
    }

    @Override
    public final BrokerOptions options() {
        return options;
    }

    @Override
    public String address() {
        return options.redactedUrls();
    }

    @Override
    public final Set<Capability> capabilities() {
        return capabilities;
    }

    @Override
    public final void connect() {
        synchronized (lifecycle) {
            if (connected) {
                return;
            }
            try {
                doConnect(options);
            } catch (RuntimeException | Error e) {
                reportError(e);
                throw e;
            }
            connected = true;
            healthTransition(Health.Status.CONNECTED);
            log.debug("Connected {}", this);
        }
    }

    @Override
    public final boolean isConnected() {
        return connected && !closing && isLive();
    }

    @Override
    public final void disconnect() {
        synchronized (lifecycle) {
            if (!connected) {
                return;
            }
            closing = true;
            long deadline = System.nanoTime() + options.shutdownTimeout().toNanos();
            try {
                List<AbstractSubscription> subs = new ArrayList<>(subscriptions);
                for (AbstractSubscription s : subs) {
                    try {
                        s.stopIntake();
                    } catch (RuntimeException e) {
                        log.warn("Stopping {} failed while disconnecting: {}", s, e.toString());
                    }
                }
                // running handlers may still publish (a reply, the next step, a dead letter) until their subscription is closed
                for (AbstractSubscription s : subs) {
                    try {
                        s.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
                    } catch (RuntimeException e) {
                        log.warn("Closing {} failed while disconnecting: {}", s, e.toString());
                    }
                }
            } finally {
                connected = false;
                closing = false;
                try {
                    doDisconnect(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
                } finally {
                    shutdownHandlerPool();
                    healthTransition(Health.Status.DISCONNECTED);
                }
            }
            log.debug("Disconnected {}", this);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Status from the connected flag and {@link #isLive()}; {@code since} is when this broker
     * first observed that status (exact where the backend reports transitions).
     */
    @Override
    public Health health() {
        Health.Status now = !connected ? Health.Status.DISCONNECTED
                : isLive() ? Health.Status.CONNECTED : Health.Status.RECONNECTING;
        healthTransition(now);
        synchronized (healthLock) {
            return Health.of(healthStatus, healthSince, lastError);
        }
    }

    @Override
    public final void publish(String topic, Message message) {
        checkPublish(topic, message);
        List<PublishInterceptor> interceptors = options.publishInterceptors();
        if (interceptors.isEmpty()) {
            doPublish(topic, message);
            return;
        }
        CompletableFuture<Void> done = new InterceptedPublish(this, interceptors, topic, message, false).run();
        try {
            done.get();
        } catch (ExecutionException e) {
            throw rethrowable(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PublishException("interrupted while publishing message " + message.id()
                    + " to '" + topic + "' at " + address(), e);
        }
    }

    @Override
    public final CompletableFuture<Void> publishAsync(String topic, Message message) {
        checkPublish(topic, message);
        List<PublishInterceptor> interceptors = options.publishInterceptors();
        if (interceptors.isEmpty()) {
            return doPublishAsync(topic, message);
        }
        return new InterceptedPublish(this, interceptors, topic, message, true).run();
    }

    @Override
    public final Subscription subscribe(String topic, Handler handler, SubscribeOptions subscribeOptions) {
        Topics.validatePattern(topic);
        Objects.requireNonNull(handler, "handler must not be null");
        Objects.requireNonNull(subscribeOptions, "subscribe options must not be null; use SubscribeOptions.defaults()");
        if (Topics.isPattern(topic)) {
            require(Capability.WILDCARDS, "subscribing to pattern '" + topic + "'");
        }
        if (subscribeOptions.queue() != null) {
            require(Capability.QUEUE_GROUPS, "queue group '" + subscribeOptions.queue() + "'");
        }
        if (subscribeOptions.durable()) {
            require(Capability.DURABLE_SUBSCRIPTIONS, "a durable subscription");
        }
        if (!subscribeOptions.autoAck()) {
            require(Capability.ACKNOWLEDGEMENT, "manual acknowledgement (autoAck(false))");
        }
        if (subscribeOptions.deadLetterTopic() != null) {
            require(Capability.DEAD_LETTER, "dead-letter topic '" + subscribeOptions.deadLetterTopic() + "'");
        }
        checkConnected("subscribe to '" + topic + "'");
        if (closing) {
            throw notConnected("subscribe to '" + topic + "' while disconnecting");
        }
        Handler effective = InterceptedHandler.wrap(options.interceptors(), handler, topic, subscribeOptions,
                name, options.nodeId(), capabilities);
        AbstractSubscription s = doSubscribe(topic, effective, subscribeOptions);
        subscriptions.add(s);
        if (!connected || closing) {
            // lost a race with disconnect(): do not leave a live subscription behind
            s.unsubscribe();
            throw notConnected("subscribe to '" + topic + "'");
        }
        return s;
    }

    @Override
    public final CompletableFuture<Message> request(String topic, Message message, Duration timeout) {
        checkTopic(topic);
        Objects.requireNonNull(message, "message must not be null");
        Objects.requireNonNull(timeout, "timeout must not be null");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("request timeout must be positive, was " + timeout);
        }
        Limits.checkHeaders(topic, message);
        require(Capability.REQUEST_REPLY, "request()");
        checkConnected("request on '" + topic + "'");
        return doRequest(topic, message, timeout);
    }

    @Override
    public String toString() {
        return name + "-broker{address=" + address() + ", nodeId=" + options.nodeId() + ", connected=" + connected + "}";
    }

    /** Throws {@link UnsupportedCapabilityException} unless this broker declares {@code capability}. */
    protected final void require(Capability capability, String what) {
        if (!capabilities.contains(capability)) {
            throw new UnsupportedCapabilityException(name, capability, what);
        }
    }

    /** Throws {@link NotConnectedException} unless connected. */
    protected final void checkConnected(String what) {
        if (!connected) {
            throw notConnected(what);
        }
    }

    /** This broker's live subscriptions (a snapshot), e.g. to restore them after a reconnect. */
    protected final List<AbstractSubscription> subscriptions() {
        return List.copyOf(subscriptions);
    }

    /**
     * The threads that run this broker's handlers, shared by all its subscriptions (see
     * {@link HandlerPool}): made on first use with {@link BrokerOptions#threadFactory()}, shut down
     * by {@link #disconnect()} once the subscriptions are closed, made anew after the next connect.
     */
    protected final HandlerPool handlerPool() {
        HandlerPool p = handlerPool;
        if (p != null) {
            return p;
        }
        synchronized (poolLock) {
            if (handlerPool == null) {
                handlerPool = new HandlerPool(name + "-" + options.nodeId(), HandlerPool.defaultCoreThreads(), options.threadFactory());
            }
            return handlerPool;
        }
    }

    private void shutdownHandlerPool() {
        HandlerPool p;
        synchronized (poolLock) {
            p = handlerPool;
            handlerPool = null;
        }
        if (p != null) {
            p.shutdown();
        }
    }

    /** Called by {@link AbstractSubscription} once it is closed. */
    final void forget(AbstractSubscription s) {
        subscriptions.remove(s);
    }

    /** The exception for using this broker while it is not connected; {@code what} completes "cannot ...". */
    protected final NotConnectedException notConnected(String what) {
        return new NotConnectedException("cannot " + what + ": the " + name + " broker at " + address()
                + " is not connected; call connect() first");
    }

    /**
     * Records {@code cause} as the last error shown by {@link #health()}, redacted. For a backend's
     * connection listener; {@link #connect()} records its own failures.
     */
    protected final void reportError(Throwable cause) {
        if (cause != null) {
            lastError = redact(cause);
        }
    }

    /** For a backend's connection listener: the connection dropped and is being recovered. */
    protected final void reportConnectionLost(Throwable cause) {
        reportError(cause);
        if (connected) {
            healthTransition(Health.Status.RECONNECTING);
        }
    }

    /** For a backend's connection listener: the connection is back after {@link #reportConnectionLost}. */
    protected final void reportConnectionRestored() {
        if (connected) {
            healthTransition(Health.Status.CONNECTED);
        }
    }

    private void healthTransition(Health.Status status) {
        if (healthStatus == status) {
            return;
        }
        synchronized (healthLock) {
            if (healthStatus != status) {
                healthStatus = status;
                healthSince = Instant.now();
            }
        }
    }

    private String redact(Throwable cause) {
        BrokerOptions o = options;
        return Redaction.throwable(cause, o.password(), o.urls());
    }

    private static RuntimeException rethrowable(Throwable t) {
        Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        if (cause instanceof RuntimeException r) {
            return r;
        }
        if (cause instanceof Error e) {
            throw e;
        }
        return new PublishException("publish failed: " + cause, cause);
    }

    private void checkPublish(String topic, Message message) {
        checkTopic(topic);
        Objects.requireNonNull(message, "message must not be null");
        Limits.checkHeaders(topic, message);
        if (!connected) {
            // the message only on failure: building it on every publish cost the publish path a string per message
            throw notConnected("publish to '" + topic + "'");
        }
    }

    /** {@link Topics#validateTopic}, skipped for the very String instance that passed it last in its slot. */
    private void checkTopic(String topic) {
        if (topic == null) {
            Topics.validateTopic(null); // throws, with the rule's message
        }
        String[] valid = validTopics;
        int slot = topic.hashCode() & (VALID_TOPIC_SLOTS - 1);
        if (valid[slot] != topic) {
            Topics.validateTopic(topic);
            valid[slot] = topic;
        }
    }

    /** Validates backend-specific options for {@link #init}; throw IllegalArgumentException. Default: nothing. */
    protected void validateOptions(BrokerOptions options) {
    }

    /**
     * False while the connection is down and recovering (the broker stays "connected" from the
     * API's point of view until {@link #disconnect()}); default true.
     */
    protected boolean isLive() {
        return true;
    }

    /** Opens the connection; fail with a {@link dev.omnibus.broker.ConnectionException} within the connect timeout. */
    protected abstract void doConnect(BrokerOptions options);

    /** Closes the connection; the broker's subscriptions are already closed. */
    protected abstract void doDisconnect(Duration timeout);

    protected abstract void doPublish(String topic, Message message);

    /** Default: {@link #doPublish} on the caller's thread, its outcome in the future. */
    protected CompletableFuture<Void> doPublishAsync(String topic, Message message) {
        try {
            doPublish(topic, message);
            return CompletableFuture.completedFuture(null);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    protected abstract AbstractSubscription doSubscribe(String topic, Handler handler, SubscribeOptions options);

    protected abstract CompletableFuture<Message> doRequest(String topic, Message message, Duration timeout);
}
