package dev.omnibus.broker.nats;

import dev.omnibus.broker.BrokerException;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.ConnectionException;
import dev.omnibus.broker.Handler;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.MessageTooLargeException;
import dev.omnibus.broker.NotConnectedException;
import dev.omnibus.broker.PublishException;
import dev.omnibus.broker.RequestException;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.event.CloudEventBinding;
import dev.omnibus.broker.event.CloudEventCapable;
import dev.omnibus.broker.support.AbstractBroker;
import dev.omnibus.broker.support.AbstractSubscription;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.JetStreamStatusException;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.NatsMessage;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The NATS broker, on jnats.
 *
 * <p><b>Core mode</b> (default): topics are subjects, queue groups are NATS queue subscriptions,
 * headers are NATS headers. Publishing is fire-and-forget (no {@link Capability#PUBLISH_CONFIRMS});
 * while the connection is down a publish waits up to the publish timeout for it to come back, then
 * throws. {@code request} uses the connection's shared inbox and fails at once when the server
 * reports no responders.
 *
 * <p><b>JetStream mode</b> ({@code ?jetstream=true} or property {@code jetstream=true}): published
 * messages are stored in one stream (see {@link StreamManager}) and every publish waits for the
 * stream's acknowledgement; subscriptions are consumers (see {@link JetStreamIntake}) with explicit
 * ack, delayed nak and dead letters. Request traffic stays out of the stream: it travels over core
 * NATS on {@code <requestPrefix>.<topic>} (default prefix {@code _omnibus.rpc}), so both sides of a
 * request must use JetStream mode.
 *
 * <p>The connection reconnects forever by default (property {@code maxReconnects}), buffering up to
 * {@code reconnectBufferSize} bytes meanwhile, and tries every server of a comma-separated URL list.
 * {@link #disconnect()} closes the subscriptions (handing unhandled JetStream messages back), then
 * drains the connection within the shutdown timeout.
 */
public final class NatsBroker extends AbstractBroker implements CloudEventCapable {
    /** The NATS binding of CloudEvents: {@code ce-} headers, datacontenttype in {@code ce-datacontenttype}, values percent-encoded. */
    static final CloudEventBinding CLOUD_EVENTS = CloudEventBinding.of("ce-", "ce-datacontenttype", true);

    private static final long ACK_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long RETRY_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final Set<Capability> CORE = EnumSet.of(Capability.QUEUE_GROUPS, Capability.WILDCARDS,
            Capability.REQUEST_REPLY, Capability.ORDERED_DELIVERY, Capability.CROSS_PROCESS, Capability.DEAD_LETTER);

    private volatile NatsSettings settings;
    private volatile Connection connection;
    private volatile ConnectionMonitor monitor;
    private volatile LivenessCheck liveness;
    private volatile ScheduledExecutorService timer;
    private volatile ScheduledExecutorService resender;
    private volatile boolean closing;
    /** Messages sent again because no answer was coming (lost connection, jnats gave up); for tests and logs. */
    private final java.util.concurrent.atomic.AtomicLong resends = new java.util.concurrent.atomic.AtomicLong();
    private volatile JetStream jetStream;
    /** JetStream publishAsync calls whose future is not complete yet. */
    private final Set<AsyncPublish> asyncPending = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile JetStreamManagement management;
    private volatile StreamManager streams;

    NatsBroker(BrokerOptions options) {
        this(options, NatsSettings.from(options));
    }

    private NatsBroker(BrokerOptions options, NatsSettings settings) {
        super(NatsBrokerProvider.NAME, options, settings.jetStream() ? EnumSet.allOf(Capability.class) : CORE);
        this.settings = settings;
    }

    /** True in JetStream mode; fixed for the life of the broker. */
    public boolean isJetStream() {
        return settings.jetStream();
    }

    /** The URLs as {@link BrokerOptions#redactedUrls()}, with token user info ({@code nats://token@host}) masked too. */
    @Override
    public String address() {
        return ConnectErrors.scrub(options().redactedUrls(), secrets(options()));
    }

    @Override
    protected void validateOptions(BrokerOptions o) {
        NatsSettings s = NatsSettings.from(o);
        if (s.jetStream() != settings.jetStream()) {
            throw new IllegalArgumentException("property 'jetstream' cannot change on an existing broker (capabilities are fixed); "
                    + "create a new broker with " + (s.jetStream() ? "?jetstream=true" : "jetstream=false"));
        }
        settings = s;
    }

    @Override
    protected void doConnect(BrokerOptions options) {
        NatsSettings s = settings;
        List<String> secrets = secrets(options);
        ConnectionMonitor m = new ConnectionMonitor(address(), secrets);
        Options natsOptions = natsOptions(options, s, m);
        Connection conn = connectWithin(natsOptions, m, options.connectTimeout(), secrets);
        try {
            if (s.jetStream()) {
                JetStreamManagement jsm = conn.jetStreamManagement(JetStreamOptions.builder().requestTimeout(options.connectTimeout()).build());
                try {
                    jsm.getAccountStatistics();
                } catch (IOException | JetStreamApiException e) {
                    throw new ConnectionException("JetStream mode, but NATS at " + address() + " does not offer JetStream ("
                            + ConnectErrors.scrub(String.valueOf(e.getMessage()), secrets)
                            + "); start nats-server with -js, or drop jetstream=true", null);
                }
                management = jsm;
                jetStream = conn.jetStream(JetStreamOptions.builder().requestTimeout(options.publishTimeout()).build());
                streams = new StreamManager(jsm, s);
            }
        } catch (RuntimeException | IOException e) {
            closeQuietly(conn);
            throw e instanceof ConnectionException ce ? ce : ConnectErrors.of(e, address(), secrets, options.connectTimeout());
        }
        ScheduledExecutorService t = scheduler("omnibus-nats-timer-" + options.nodeId());
        // resends may wait on stream checks (management requests): never on the timer, which runs every timeout
        ScheduledExecutorService r = scheduler("omnibus-nats-resend-" + options.nodeId());
        m.onDisconnect(() -> reportConnectionLost(null));
        m.onReconnect(() -> {
            reportConnectionRestored();
            abandonUnansweredAsyncPublishes();
            try {
                t.execute(this::resumeAfterReconnect);
            } catch (java.util.concurrent.RejectedExecutionException disconnecting) {
                // nothing to resume
            }
        });
        m.established();
        monitor = m;
        liveness = new LivenessCheck(conn, m);
        timer = t;
        resender = r;
        closing = false;
        connection = conn;
        log.info("Connected to NATS at {} ({} mode, max payload {} bytes)", address(), s.jetStream() ? "JetStream" : "core",
                conn.getMaxPayload());
    }

    /** One daemon thread; cancelled tasks leave the queue at once, so per-publish timeouts do not pile up. */
    private static ScheduledExecutorService scheduler(String name) {
        java.util.concurrent.ScheduledThreadPoolExecutor e = new java.util.concurrent.ScheduledThreadPoolExecutor(1, task -> {
            Thread th = new Thread(task, name);
            th.setDaemon(true);
            return th;
        });
        e.setRemoveOnCancelPolicy(true);
        return e;
    }

    /** Property naming a NATS credentials file (JWT and NKey seed) for decentralized auth. */
    public static final String CREDENTIALS_PROPERTY = "credentials";

    private static Options natsOptions(BrokerOptions options, NatsSettings s, ConnectionMonitor monitor) {
        boolean explicitCredentials = options.username() != null;
        List<String> servers = new ArrayList<>();
        for (String url : options.urls()) {
            servers.add(serverUrl(url, explicitCredentials));
        }
        Options.Builder b = new Options.Builder()
                .servers(servers.toArray(new String[0]))
                .connectionName("omnibus-" + options.nodeId())
                .connectionTimeout(options.connectTimeout())
                .maxReconnects(s.maxReconnects())
                .reconnectWait(s.reconnectWait())
                .reconnectBufferSize(s.reconnectBufferSize())
                .errorListener(monitor)
                .connectionListener(monitor)
                .reportNoResponders();
        if (explicitCredentials) {
            b.userInfo(options.username(), options.password() == null ? "" : options.password());
        }
        if (options.sslContext() != null) {
            b.sslContext(options.sslContext());
        }
        String credentialsFile = NatsSettings.CREDENTIALS.value(options);
        if (credentialsFile != null) {
            // JWT + NKey seed, as `nsc` writes them; jnats reads the file when it signs the server's nonce
            if (!java.nio.file.Files.isReadable(java.nio.file.Path.of(credentialsFile))) {
                throw new IllegalArgumentException("property '" + CREDENTIALS_PROPERTY + "' names '" + credentialsFile
                        + "', which is not a readable file; give the path of a NATS .creds file (JWT and NKey seed)");
            }
            b.authHandler(io.nats.client.Nats.credentials(credentialsFile));
        }
        return b.build();
    }

    /** The URL jnats gets: no query string (our properties), no user info when credentials are given explicitly. */
    static String serverUrl(String url, boolean dropUserInfo) {
        int q = url.indexOf('?');
        String u = q < 0 ? url : url.substring(0, q);
        if (u.endsWith("/")) {
            u = u.substring(0, u.length() - 1);
        }
        int at = u.lastIndexOf('@');
        int scheme = u.indexOf("://");
        if (dropUserInfo && at > scheme && scheme >= 0) {
            u = u.substring(0, scheme + 3) + u.substring(at + 1);
        }
        return u;
    }

    /** Everything that must never appear in text shown to people. */
    private static List<String> secrets(BrokerOptions options) {
        List<String> out = new ArrayList<>();
        if (options.password() != null && !options.password().isEmpty()) {
            out.add(options.password());
        }
        for (String url : options.urls()) {
            int scheme = url.indexOf("://");
            int at = url.lastIndexOf('@');
            if (scheme >= 0 && at > scheme) {
                String userInfo = url.substring(scheme + 3, at);
                int colon = userInfo.indexOf(':');
                if (colon >= 0 && colon < userInfo.length() - 1) {
                    String pw = userInfo.substring(colon + 1);
                    out.add(pw);
                    out.add(URLDecoder.decode(pw, StandardCharsets.UTF_8));
                } else if (colon < 0 && !userInfo.isEmpty()) {
                    out.add(userInfo); // nats://token@host
                }
            }
        }
        return out;
    }

    /**
     * Connects on a helper thread so that the whole attempt, over every server, is bounded by
     * {@code timeout}, and ends early when the server refuses the client for good.
     */
    private Connection connectWithin(Options natsOptions, ConnectionMonitor monitor, Duration timeout, List<String> secrets) {
        CompletableFuture<Connection> attempt = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                attempt.complete(Nats.connect(natsOptions));
            } catch (Throwable e) {
                attempt.completeExceptionally(e);
            }
        }, "omnibus-nats-connect");
        t.setDaemon(true);
        t.start();
        Object outcome;
        try {
            outcome = CompletableFuture.anyOf(attempt, monitor.refusal()).get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            outcome = null;
        } catch (ExecutionException e) {
            throw ConnectErrors.of(e.getCause(), address(), secrets, timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome = null;
        }
        if (outcome instanceof Connection c) {
            return c;
        }
        // a connection that still completes after we gave up must not linger
        t.interrupt();
        attempt.thenAccept(NatsBroker::closeQuietly);
        if (outcome instanceof String refused) {
            throw ConnectErrors.of(new IOException(refused), address(), secrets, timeout);
        }
        throw ConnectErrors.of(null, address(), secrets, timeout);
    }

    @Override
    protected void doDisconnect(Duration timeout) {
        closing = true;
        Connection conn = connection;
        try {
            if (conn.getStatus() != Connection.Status.CONNECTED) {
                // nothing can be flushed to a server that is gone: do not wait shutdownTimeout for it
                log.debug("Disconnecting from {} while the connection is {}; what jnats buffered is dropped", address(), conn.getStatus());
                return;
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            awaitAsyncPublishes(deadline);
            timeout = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
            // subscriptions are closed already: this flushes what is still buffered for the server
            conn.drain(timeout.isZero() ? Duration.ofMillis(1) : timeout).get(timeout.toNanos() + 1, TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException | RuntimeException e) {
            log.debug("Draining the connection to {} did not finish within {}: {}", address(), timeout, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly(conn);
            timer.shutdownNow();
            resender.shutdownNow();
            for (AsyncPublish p : asyncPending) {
                p.fail(disconnectedBeforeAck(p, null));
            }
        }
    }

    /** Lets publishAsync calls in flight get their acks before the drain cuts the ack subscription off. */
    private void awaitAsyncPublishes(long deadline) {
        if (asyncPending.isEmpty()) {
            return;
        }
        CompletableFuture<?>[] pending = asyncPending.stream().map(p -> p.result).toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(pending).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // failed ones are settled; the rest are failed after the connection closes
        }
    }

    @Override
    protected boolean isLive() {
        Connection c = connection;
        return c != null && c.getStatus() == Connection.Status.CONNECTED;
    }

    @Override
    protected void doPublish(String topic, Message message) {
        send(topic, message);
    }

    /** Publishes without the connected-state check, for dead letters sent while closing. */
    void send(String topic, Message message) {
        NatsMessage m = NatsWire.toNats(topic, message);
        checkSize(topic, m);
        if (settings.jetStream()) {
            publishJetStream(topic, m, message);
        } else {
            publishCore(topic, m, message);
        }
    }

    private void publishCore(String topic, NatsMessage m, Message message) {
        awaitConnection(topic, message, options().publishTimeout());
        try {
            connection.publish(m);
        } catch (IllegalStateException e) {
            throw new PublishException("could not publish message " + message.id() + " to '" + topic + "' at " + address()
                    + ": " + e.getMessage(), e);
        }
    }

    private void publishJetStream(String topic, NatsMessage m, Message message) {
        long deadline = System.nanoTime() + options().publishTimeout().toNanos();
        for (int attempt = 1; ; attempt++) {
            awaitConnection(topic, message, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            try {
                // after awaitConnection: during an outage this must wait for the connection, not fail at once
                streams.ensure(topic);
            } catch (BrokerException e) {
                if (e instanceof StreamManager.SubjectConflict conflict) {
                    throw conflicted(message, topic, conflict);
                }
                if (System.nanoTime() >= deadline) {
                    throw new PublishException("could not publish message " + message.id() + " to '" + topic + "' at " + address()
                            + ": the JetStream stream was not ready within the publish timeout of " + options().publishTimeout()
                            + " (" + e.getMessage() + ")", e);
                }
                pauseBeforeRetry(deadline);
                continue;
            }
            try {
                long losses = monitor.losses();
                CompletableFuture<PublishAck> ack = jetStream.publishAsync(m); // awaitAck bounds the wait
                if (awaitAck(ack, deadline, losses)) {
                    return;
                }
                // the connection dropped after the message left, and the server that had it may never answer
                // (a restart): send it again once reconnected; at worst the stream stores it twice
                ack.cancel(true);
                resends.incrementAndGet();
                log.debug("No answer coming from JetStream for message {} to '{}'; sending it again", message.id(), topic);
                continue;
            } catch (IOException e) {
                if (isNoResponders(e) && System.nanoTime() < deadline) {
                    // no stream took it: the server is restarting (its streams stop before its connections do),
                    // or another process rewrote the stream without our subjects; check the stream, then send again
                    streams.invalidate(topic);
                    if (attempt > 1) {
                        pauseBeforeRetry(deadline);
                    }
                    continue;
                }
                throw new PublishException("JetStream did not confirm message " + message.id() + " to '" + topic + "' at "
                        + address() + " within the publish timeout of " + options().publishTimeout() + ": " + e.getMessage(), e);
            } catch (JetStreamApiException e) {
                throw new PublishException("JetStream refused message " + message.id() + " to '" + topic + "': "
                        + e.getErrorDescription() + " (code " + e.getApiErrorCode() + ")", e);
            } catch (IllegalStateException e) {
                throw new PublishException("could not publish message " + message.id() + " to '" + topic + "' at " + address()
                        + ": " + e.getMessage(), e);
            }
        }
    }

    private static PublishException conflicted(Message message, String topic, StreamManager.SubjectConflict conflict) {
        return new PublishException("could not publish message " + message.id() + " to '" + topic + "': " + conflict.getMessage(), conflict);
    }

    private static PublishException disconnectedBeforeAck(AsyncPublish p, Throwable cause) {
        return new PublishException("broker disconnected before JetStream confirmed message " + p.message.id() + " to '"
                + p.topic + "'; it may or may not be stored", cause);
    }

    private static void pauseBeforeRetry(long deadline) {
        long pause = Math.min(RETRY_PAUSE_NANOS, deadline - System.nanoTime());
        if (pause > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PublishException("interrupted while waiting to publish again", e);
            }
        }
    }

    /**
     * Waits for the stream's ack until {@code deadline}.
     *
     * @return true when acked; false when no answer will come (the connection was lost meanwhile, or jnats
     *     dropped the request)
     * @throws IOException as jnats' synchronous publish would (a timeout becomes one too)
     */
    private boolean awaitAck(CompletableFuture<PublishAck> ack, long deadline, long lossesBefore)
            throws IOException, JetStreamApiException {
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                ack.cancel(true);
                throw new IOException("Timeout or no response waiting for NATS JetStream server");
            }
            try {
                // the bound only matters when the ack is slow: then it checks for a lost connection every 100 ms
                ack.get(Math.min(left, ACK_POLL_NANOS), TimeUnit.NANOSECONDS);
                return true;
            } catch (TimeoutException e) {
                if (monitor.losses() != lossesBefore) {
                    return false;
                }
            } catch (java.util.concurrent.CancellationException e) {
                // jnats gave up on the answer ("response not registered in time"): no answer is coming, so send again
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ack.cancel(true);
                throw new IOException("interrupted while waiting for JetStream to confirm", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof java.util.concurrent.CancellationException) {
                    return false; // as above, seen through the future jnats derives from its own
                }
                while (cause instanceof RuntimeException && (cause.getCause() instanceof IOException
                        || cause.getCause() instanceof JetStreamApiException)) {
                    cause = cause.getCause(); // jnats wraps what its synchronous publish would throw
                }
                if (cause instanceof IOException io) {
                    throw io;
                }
                if (cause instanceof JetStreamApiException api) {
                    throw api;
                }
                if (cause instanceof RuntimeException re) {
                    throw re;
                }
                throw new IOException(cause);
            }
        }
    }

    @Override
    protected CompletableFuture<Void> doPublishAsync(String topic, Message message) {
        if (!settings.jetStream()) {
            return super.doPublishAsync(topic, message);
        }
        NatsMessage m;
        try {
            m = NatsWire.toNats(topic, message);
            checkSize(topic, m);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        try {
            streams.ensure(topic);
        } catch (StreamManager.SubjectConflict conflict) {
            return CompletableFuture.failedFuture(conflicted(message, topic, conflict));
        } catch (BrokerException notYet) {
            // e.g. the server is restarting: send anyway; if no stream takes it, the resend checks the stream again
            log.debug("Stream check before publishing message {} failed: {}", message.id(), notYet.getMessage());
        }
        Duration timeout = options().publishTimeout();
        AsyncPublish p = new AsyncPublish(topic, message, m, System.nanoTime() + timeout.toNanos());
        asyncPending.add(p);
        p.result.whenComplete((v, e) -> asyncPending.remove(p));
        sendAsync(p);
        if (p.result.isDone()) {
            return p.result;
        }
        ScheduledFuture<?> t;
        try {
            t = timer.schedule(() -> p.fail(new PublishException("JetStream did not confirm message " + message.id() + " to '"
                    + topic + "' at " + address() + " within the publish timeout of " + timeout)), timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException disconnecting) {
            p.fail(disconnectedBeforeAck(p, disconnecting));
            return p.result;
        }
        p.result.whenComplete((v, e) -> t.cancel(false));
        return p.result;
    }

    /**
     * One attempt of {@code p}. When no answer will come (the attempt was in flight when the
     * connection was lost, or jnats gave up on it) or no stream took the message, another follows
     * on the resend thread until the deadline; the stream may then hold the message twice.
     */
    private void sendAsync(AsyncPublish p) {
        if (p.result.isDone()) {
            return;
        }
        CompletableFuture<PublishAck> ack;
        p.lossesAtSend = monitor.losses();
        try {
            ack = jetStream.publishAsync(p.wire);
        } catch (RuntimeException e) {
            p.fail(new PublishException("could not publish message " + p.message.id() + " to '" + p.topic + "' at " + address()
                    + ": " + e.getMessage(), e));
            return;
        }
        p.attempt = ack;
        ack.whenComplete((a, e) -> {
            if (e == null) {
                p.result.complete(null);
                return;
            }
            if (p.result.isDone()) {
                return; // timed out meanwhile
            }
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            boolean noResponders = isNoResponders(cause);
            if (closing) {
                p.fail(disconnectedBeforeAck(p, cause));
            } else if ((noResponders || cause instanceof java.util.concurrent.CancellationException) && System.nanoTime() < p.deadline) {
                resends.incrementAndGet();
                resendLater(p, noResponders);
            } else {
                p.fail(new PublishException("JetStream did not confirm message " + p.message.id() + " to '" + p.topic + "' at "
                        + address() + ": " + cause.getMessage(), cause));
            }
        });
    }

    /** Sends {@code p} again after a pause, once connected, after checking the stream if {@code checkStream}. */
    private void resendLater(AsyncPublish p, boolean checkStream) {
        Runnable again = () -> {
            if (p.result.isDone()) {
                return;
            }
            Connection.Status status = connection.getStatus();
            if (status == Connection.Status.CLOSED) {
                p.fail(new PublishException("could not publish message " + p.message.id() + " to '" + p.topic + "': the connection to "
                        + address() + " is closed (reconnect attempts exhausted)"));
                return;
            }
            if (status != Connection.Status.CONNECTED) {
                resendLater(p, checkStream); // buffering it for the reconnect would only add copies as jnats expires them
                return;
            }
            if (checkStream) {
                try {
                    streams.invalidate(p.topic);
                    streams.ensure(p.topic);
                } catch (StreamManager.SubjectConflict conflict) {
                    p.fail(conflicted(p.message, p.topic, conflict));
                    return;
                } catch (BrokerException notYet) {
                    resendLater(p, true);
                    return;
                }
            }
            log.debug("No answer coming from JetStream for message {} to '{}'; sending it again", p.message.id(), p.topic);
            sendAsync(p);
        };
        try {
            resender.schedule(again, RETRY_PAUSE_NANOS, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException disconnecting) {
            p.fail(disconnectedBeforeAck(p, disconnecting));
        }
    }

    /** A JetStream {@code publishAsync} until its future completes. */
    private static final class AsyncPublish {
        final String topic;
        final Message message;
        final NatsMessage wire;
        final long deadline;
        final CompletableFuture<Void> result = new CompletableFuture<>();
        /** The attempt in flight and the connection-loss count when it was sent. */
        volatile CompletableFuture<PublishAck> attempt;
        volatile long lossesAtSend;

        AsyncPublish(String topic, Message message, NatsMessage wire, long deadline) {
            this.topic = topic;
            this.message = message;
            this.wire = wire;
            this.deadline = deadline;
        }

        void fail(Throwable e) {
            if (result.completeExceptionally(e)) {
                CompletableFuture<PublishAck> a = attempt;
                if (a != null) {
                    a.cancel(true);
                }
            }
        }
    }

    private static boolean isNoResponders(Throwable e) {
        if (e instanceof JetStreamStatusException jse) {
            return jse.getStatus() != null && jse.getStatus().getCode() == 503;
        }
        String msg = e.getMessage();
        return msg != null && msg.contains("503");
    }

    private void awaitConnection(String topic, Message message, Duration timeout) {
        Connection conn = connection;
        if (conn.getStatus() == Connection.Status.CONNECTED) {
            return;
        }
        if (!monitor.awaitConnected(conn, timeout)) {
            throw new PublishException("could not publish message " + message.id() + " to '" + topic + "': the connection to "
                    + address() + " is down and did not recover within " + timeout + " (status " + conn.getStatus() + ")");
        }
    }

    private void checkSize(String topic, NatsMessage m) {
        long limit = connection.getMaxPayload();
        long size = NatsWire.wireSize(m);
        if (limit > 0 && size > limit) {
            throw new MessageTooLargeException(topic, size, limit);
        }
    }

    @Override
    protected AbstractSubscription doSubscribe(String topic, Handler handler, SubscribeOptions options) {
        NatsSubscription s = new NatsSubscription(this, topic, handler, options);
        s.start();
        return s;
    }

    @Override
    protected CompletableFuture<Message> doRequest(String topic, Message message, Duration timeout) {
        String subject = settings.jetStream() ? settings.requestPrefix() + "." + topic : topic;
        NatsMessage m = NatsWire.toNats(subject, message);
        checkSize(topic, m);
        CompletableFuture<io.nats.client.Message> answer;
        try {
            answer = connection.requestWithTimeout(m, timeout);
        } catch (IllegalStateException e) {
            return CompletableFuture.failedFuture(new NotConnectedException("cannot send request to '" + topic + "': "
                    + e.getMessage() + " (" + address() + ")"));
        }
        CompletableFuture<Message> result = new CompletableFuture<>();
        answer.whenComplete((reply, e) -> {
            if (e == null) {
                result.complete(NatsWire.fromNats(reply, null));
                return;
            }
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (isNoResponders(cause)) {
                result.completeExceptionally(new RequestException("no responders: nothing subscribes to '" + topic + "' at "
                        + address() + "; start a subscriber that answers with event.reply(...)", true));
            } else {
                result.completeExceptionally(new RequestException("no reply to request on topic '" + topic + "' within "
                        + timeout + " (" + cause.getClass().getSimpleName() + ")", false));
            }
        });
        // jnats checks request timeouts only every few seconds; hold the caller to its own timeout
        ScheduledFuture<?> t = timer.schedule(() -> {
            if (result.completeExceptionally(new RequestException("no reply to request on topic '" + topic + "' within "
                    + timeout + "; check that a subscriber answers it with event.reply(...)", false))) {
                answer.cancel(true);
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        result.whenComplete((r, e) -> t.cancel(false));
        return result;
    }

    void sendReply(String replyTo, Message reply) {
        NatsMessage m = NatsWire.toNats(replyTo, reply);
        checkSize(replyTo, m);
        connection.publish(m);
    }

    /**
     * Async publishes sent before the connection was lost may never be answered (the server that had
     * them restarted): cancelling them makes {@link #sendAsync} send them again.
     */
    private void abandonUnansweredAsyncPublishes() {
        long now = monitor.losses();
        for (AsyncPublish p : asyncPending) {
            CompletableFuture<PublishAck> a = p.attempt;
            if (a != null && p.lossesAtSend < now) {
                a.cancel(true);
            }
        }
    }

    /** How many messages were sent again because no answer was coming. */
    long resends() {
        return resends.get();
    }

    private void resumeAfterReconnect() {
        if (!settings.jetStream()) {
            return;
        }
        streams.invalidateAll();
        for (AbstractSubscription s : subscriptions()) {
            ((NatsSubscription) s).resume();
        }
    }

    JetStreamIntake newIntake(String pattern, SubscribeOptions options) {
        return new JetStreamIntake(connection, management, streams, settings, pattern, options);
    }

    /** The request subject prefix in JetStream mode, null in core mode. */
    String requestPrefix() {
        return settings.jetStream() ? settings.requestPrefix() : null;
    }

    Connection connection() {
        return connection;
    }

    ConnectionMonitor monitor() {
        return monitor;
    }

    /** The round trips that confirm a subscription is live at the server, one at a time for the whole broker. */
    LivenessCheck liveness() {
        return liveness;
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    private static void closeQuietly(Connection conn) {
        if (conn == null) {
            return;
        }
        try {
            conn.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // closing is best effort
        }
    }

    @Override
    public CloudEventBinding cloudEventBinding() {
        return CLOUD_EVENTS;
    }
}
