package dev.omnibus.broker.nats;

import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.ConnectionException;
import dev.omnibus.broker.Handler;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.NotConnectedException;
import dev.omnibus.broker.PublishException;
import dev.omnibus.broker.RequestException;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.event.CloudEventBinding;
import dev.omnibus.broker.event.CloudEventCapable;
import dev.omnibus.broker.support.AbstractBroker;
import dev.omnibus.broker.support.AbstractSubscription;
import dev.omnibus.broker.support.DeadlineSweep;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.Nats;
import io.nats.client.Options;
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
 * stream's acknowledgement, riding out reconnects within the publish timeout (see
 * {@link JetStreamPublisher}); subscriptions are consumers (see {@link JetStreamIntake}) with explicit
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

    private static final Set<Capability> CORE = EnumSet.of(Capability.QUEUE_GROUPS, Capability.WILDCARDS,
            Capability.REQUEST_REPLY, Capability.ORDERED_DELIVERY, Capability.CROSS_PROCESS, Capability.DEAD_LETTER);

    private volatile NatsSettings settings;
    private volatile Connection connection;
    private volatile ConnectionMonitor monitor;
    private volatile LivenessCheck liveness;
    private volatile ScheduledExecutorService timer;
    /** The timeouts of this connection's requests, on {@link #timer}. */
    private volatile DeadlineSweep requestDeadlines;
    private volatile JetStreamManagement management;
    private volatile StreamManager streams;
    /** JetStream mode only. */
    private volatile JetStreamPublisher publisher;
    /** What the subscriptions of the current connection get. */
    private volatile NatsSession session;
    /** Messages sent again because no answer was coming (lost connection, jnats gave up); for tests and logs. */
    private final java.util.concurrent.atomic.AtomicLong resends = new java.util.concurrent.atomic.AtomicLong();

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
        ScheduledExecutorService t = scheduler("omnibus-nats-timer-" + options.nodeId());
        JetStreamPublisher jsp = null;
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
                streams = new StreamManager(jsm, s);
                JetStream js = conn.jetStream(JetStreamOptions.builder().requestTimeout(options.publishTimeout()).build());
                jsp = new JetStreamPublisher(js, streams, conn, m, t, options.publishTimeout(), address(), options.nodeId(),
                        resends);
            }
        } catch (RuntimeException | IOException e) {
            closeQuietly(conn);
            t.shutdownNow();
            throw e instanceof ConnectionException ce ? ce : ConnectErrors.of(e, address(), secrets, options.connectTimeout());
        }
        JetStreamPublisher jetStreamPublisher = jsp;
        m.onDisconnect(() -> reportConnectionLost(null));
        m.onReconnect(() -> {
            reportConnectionRestored();
            if (jetStreamPublisher != null) {
                jetStreamPublisher.reconnected();
            }
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
        requestDeadlines = new DeadlineSweep(t);
        publisher = jsp;
        connection = conn;
        session = new NatsSession(conn, m, liveness, t, s, management, streams, address(), options.connectTimeout());
        log.info("Connected to NATS at {} ({} mode, max payload {} bytes)", address(), s.jetStream() ? "JetStream" : "core",
                conn.getMaxPayload());
    }

    /** One daemon thread; cancelled tasks leave the queue at once, so per-publish timeouts do not pile up. */
    static ScheduledExecutorService scheduler(String name) {
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
        JetStreamPublisher jsp = publisher;
        if (jsp != null) {
            jsp.beginClose();
        }
        Connection conn = connection;
        try {
            if (conn.getStatus() != Connection.Status.CONNECTED) {
                // nothing can be flushed to a server that is gone: do not wait shutdownTimeout for it
                log.debug("Disconnecting from {} while the connection is {}; what jnats buffered is dropped", address(), conn.getStatus());
                return;
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            if (jsp != null) {
                jsp.awaitInFlight(deadline); // before the drain cuts the PubAck subscription off
            }
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
            if (jsp != null) {
                jsp.close();
            }
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
        NatsMessage m = settings.jetStream() ? NatsWire.toJetStream(topic, message) : NatsWire.toNats(topic, message);
        checkSize(topic, m);
        if (settings.jetStream()) {
            publisher.publishAndWait(topic, message, m);
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

    @Override
    protected CompletableFuture<Void> doPublishAsync(String topic, Message message) {
        if (!settings.jetStream()) {
            return super.doPublishAsync(topic, message);
        }
        NatsMessage m;
        try {
            m = NatsWire.toJetStream(topic, message);
            checkSize(topic, m);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return publisher.publish(topic, message, m);
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
        session.checkSize(topic, m);
    }

    @Override
    protected AbstractSubscription doSubscribe(String topic, Handler handler, SubscribeOptions options) {
        NatsSubscription s = new NatsSubscription(this, session, topic, handler, options, handlerPool());
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
        Request result = new Request(topic, timeout, answer);
        answer.whenComplete((reply, e) -> {
            if (e == null) {
                result.complete(NatsWire.fromNats(reply, null));
                return;
            }
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (NatsWire.isNoResponders(cause)) {
                result.completeExceptionally(new RequestException("no responders: nothing subscribes to '" + topic + "' at "
                        + address() + "; start a subscriber that answers with event.reply(...)", true));
            } else {
                result.completeExceptionally(new RequestException("no reply to request on topic '" + topic + "' within "
                        + timeout + " (" + cause.getClass().getSimpleName() + ")", false));
            }
        });
        // jnats checks request timeouts only every few seconds; hold the caller to its own timeout
        requestDeadlines.add(result, timeout.toNanos());
        return result;
    }

    /** A request's future: fails with a {@link RequestException} once its timeout passes (and drops jnats' own future). */
    private static final class Request extends CompletableFuture<Message> implements DeadlineSweep.Deadline {
        private final String topic;
        private final Duration timeout;
        private final long deadline;
        private final CompletableFuture<io.nats.client.Message> answer;

        Request(String topic, Duration timeout, CompletableFuture<io.nats.client.Message> answer) {
            this.topic = topic;
            this.timeout = timeout;
            this.deadline = System.nanoTime() + timeout.toNanos();
            this.answer = answer;
        }

        @Override
        public long deadlineNanos() {
            return deadline;
        }

        @Override
        public boolean finished() {
            return isDone();
        }

        @Override
        public void expire() {
            if (completeExceptionally(new RequestException("no reply to request on topic '" + topic + "' within "
                    + timeout + "; check that a subscriber answers it with event.reply(...)", false))) {
                answer.cancel(true);
            }
        }

        @Override
        public String toString() {
            return "request on '" + topic + "'";
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
