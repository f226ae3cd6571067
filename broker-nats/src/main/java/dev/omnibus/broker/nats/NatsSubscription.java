package dev.omnibus.broker.nats;

import dev.omnibus.broker.BrokerException;
import dev.omnibus.broker.Handler;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Topics;
import dev.omnibus.broker.support.AbstractBroker;
import dev.omnibus.broker.support.AbstractSubscription;
import dev.omnibus.broker.support.Delivery;
import dev.omnibus.broker.support.DeliveryRule;
import dev.omnibus.broker.support.HandlerPool;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStreamApiException;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A subscription on NATS. Handlers never run on a jnats thread: the jnats dispatcher only hands a
 * message to the shared {@link DeliveryRule}, whose buffer the broker's handler pool drains with at
 * most {@code concurrency} threads (one keeps publish order); the rule also decides after a failure.
 * In core mode every subscription of the broker shares one dispatcher (one jnats thread, however
 * many subscriptions), and its hand-off never waits (see {@link Backlog}), so a slow subscription
 * never holds up another; in JetStream mode each subscription keeps a dispatcher of its own, which
 * closing drains (below). The verbs here:
 *
 * <p>Core mode: a (queue) subscription on the topic. A retry happens in this process after the
 * retry policy's delay; core NATS keeps nothing, so giving back drops (a crash loses what was in
 * flight), and settling has nothing to tell the server.
 *
 * <p>JetStream mode: a {@link JetStreamIntake} for published messages plus a core subscription on
 * the request subject ({@code <requestPrefix>.<topic>}) for {@code request()} traffic. A retry is a
 * nak with the policy's delay (the server counts the attempts, so they survive a crash); settling
 * acks (handled) or terminates (dead-lettered, dropped); giving back naks at once. Closing hands
 * every delivery not yet handled (or not acked, with manual ack) back to the server only once our
 * consumer subscription is gone, so that another group member gets it without waiting for the ack wait.
 */
final class NatsSubscription extends AbstractSubscription implements DeliveryRule.Backend<io.nats.client.Message> {
    private static final Logger LOG = LoggerFactory.getLogger(NatsSubscription.class);
    private static final Duration RESUME_RETRY = Duration.ofSeconds(1);
    private static final Duration DRAIN_FLOOR = Duration.ofMillis(100);

    private final NatsSession session;
    private final String coreSubject;
    private final int corePrefixLength;
    private final DeliveryRule<io.nats.client.Message> rule;
    /** Core mode: the hand-off from the shared dispatcher; null in JetStream mode. */
    private final Backlog backlog;
    private volatile Dispatcher dispatcher;
    private volatile io.nats.client.Subscription coreSubscription;
    private volatile JetStreamIntake jetStream;
    private volatile boolean stopping;
    private volatile boolean released;
    /** Keeps unsettled manual-ack JetStream deliveries from running out of ackWait while the handler holds them. */
    private volatile java.util.concurrent.ScheduledFuture<?> keepAlive;
    /** JetStream deliveries that arrived after intake stopped; handed back once our consumer subscription is gone. */
    private final List<io.nats.client.Message> stragglers = new java.util.ArrayList<>();

    NatsSubscription(AbstractBroker broker, NatsSession session, String pattern, Handler handler, SubscribeOptions options,
            HandlerPool pool) {
        super(broker, pattern, options);
        this.session = session;
        String prefix = session.requestPrefix();
        this.coreSubject = prefix == null ? pattern : prefix + "." + pattern;
        this.corePrefixLength = prefix == null ? 0 : prefix.length() + 1;
        this.rule = deliveryRule(handler, options.bufferSize(), this);
        this.backlog = session.isJetStream() ? null : new Backlog(name(), rule, options.overflow(), pool);
    }

    /** Subscribes at the server; returns once the server has registered the interest. */
    void start() {
        try {
            Dispatcher d;
            if (session.isJetStream()) {
                d = session.connection.createDispatcher();
                session.monitor.register(d, name());
            } else {
                d = session.sharedDispatcher();
            }
            dispatcher = d;
            coreSubscription = queue() == null ? d.subscribe(coreSubject, this::onCoreMessage)
                    : d.subscribe(coreSubject, queue(), this::onCoreMessage);
            if (session.isJetStream()) {
                JetStreamIntake js = session.newIntake(topic(), options());
                jetStream = js;
                js.start(d, this::onJetStreamMessage);
            }
            session.liveness.confirm(session.connectTimeout);
            if (session.isJetStream() && !options().autoAck()) {
                long every = Math.max(100, session.ackWait().toMillis() / 2);
                keepAlive = session.timer.scheduleAtFixedRate(this::keepUnsettledAlive, every, every, TimeUnit.MILLISECONDS);
            }
        } catch (IOException | JetStreamApiException | RuntimeException | InterruptedException | TimeoutException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            stopIntake();
            releaseNow(Duration.ZERO);
            if (e instanceof BrokerException be) {
                throw be;
            }
            String why = e instanceof JetStreamApiException jse ? jse.getErrorDescription() + " (code " + jse.getApiErrorCode() + ")"
                    : e.getMessage();
            throw new BrokerException("could not subscribe to '" + topic() + "'"
                    + (queue() != null ? " in group '" + queue() + "'" : "") + " at " + session.address + ": " + why, e);
        }
    }

    /** After a reconnect: JetStream consumption starts again; core subscriptions jnats restores itself. */
    void resume() {
        JetStreamIntake js = jetStream;
        Dispatcher d = dispatcher;
        if (js == null || d == null || stopping) {
            return;
        }
        try {
            js.restart(d, this::onJetStreamMessage);
            LOG.debug("Resumed JetStream consumption of '{}' after reconnect", name());
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            // a restarted server answers JetStream requests only once it has recovered its streams: try again
            LOG.warn("Could not resume subscription '{}' after reconnect yet, retrying in {}: {}", name(), RESUME_RETRY, e.toString());
            try {
                session.timer.schedule(this::resume, RESUME_RETRY.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException disconnecting) {
                // the broker is disconnecting: nothing to resume
            }
        }
    }

    private void onCoreMessage(io.nats.client.Message msg) {
        if (stopping) {
            return;
        }
        String topic = msg.getSubject().substring(corePrefixLength);
        Message m = NatsWire.fromNats(msg, msg.getReplyTo());
        if (backlog != null) {
            byte[] data = msg.getData();
            backlog.offer(topic, m, data == null ? 0 : data.length);
        } else {
            rule.offer(topic, m, 1, null);
        }
    }

    private void onJetStreamMessage(io.nats.client.Message msg) {
        if (stopping) {
            nakOnceReleased(msg);
            return;
        }
        String topic = msg.getSubject();
        jetStream.seen(msg.metaData().streamSequence());
        if (jetStream.filtersInClient() && !Topics.matches(topic(), topic)) {
            msg.ack();
            return;
        }
        int attempt = (int) Math.min(Integer.MAX_VALUE, msg.metaData().deliveredCount());
        rule.offer(topic, NatsWire.fromNats(msg, null), attempt, msg);
    }

    @Override
    public void redeliver(Delivery<io.nats.client.Message> d, Duration delay) {
        io.nats.client.Message js = d.handle();
        if (js == null) {
            rule.retryLater(d, delay, session.timer);
        } else if (delay.isZero()) {
            js.nak();
        } else {
            js.nakWithDelay(delay);
        }
    }

    @Override
    public void settle(Delivery<io.nats.client.Message> d, DeliveryRule.Outcome outcome) {
        io.nats.client.Message js = d.handle();
        if (js != null) {
            if (outcome == DeliveryRule.Outcome.HANDLED) {
                js.ack();
            } else {
                js.term();
            }
        }
    }

    /** JetStream gets it back at once (once our consumer subscription is gone, when closing); core NATS cannot take it. */
    @Override
    public void giveBack(Delivery<io.nats.client.Message> d, boolean started) {
        io.nats.client.Message js = d.handle();
        if (js == null) {
            LOG.debug("Message {} on '{}' dropped: subscription '{}' stopped or its buffer was full", d.message().id(), d.topic(), name());
            return;
        }
        if (stopping) {
            nakOnceReleased(js);
        } else {
            js.nak();
        }
    }

    /** The overflow policy dropped it: JetStream is told to let it go (a nak would bring it straight back); core NATS keeps nothing. */
    @Override
    public void dropped(Delivery<io.nats.client.Message> d) {
        io.nats.client.Message js = d.handle();
        if (js != null) {
            js.term();
        }
    }

    /** Tells JetStream that deliveries a manual-ack handler still holds are in progress, so they are not redelivered meanwhile. */
    private void keepUnsettledAlive() {
        rule.forEachUnsettled(d -> {
            io.nats.client.Message js = d.handle();
            if (js != null) {
                try {
                    js.inProgress();
                } catch (RuntimeException e) {
                    LOG.debug("Could not mark message {} of '{}' in progress: {}", d.message().id(), name(), e.toString());
                }
            }
        });
    }

    /** A nak now could bring the message straight back to our still-pending pull request: wait for {@link #releaseNow}. */
    private void nakOnceReleased(io.nats.client.Message js) {
        synchronized (stragglers) {
            if (!released) {
                stragglers.add(js);
                return;
            }
        }
        js.nak();
    }

    @Override
    public void reply(String replyTo, Message reply) {
        session.sendReply(replyTo, reply);
    }

    @Override
    protected void doStopIntake() {
        java.util.concurrent.ScheduledFuture<?> k = keepAlive;
        if (k != null) {
            k.cancel(false);
        }
        stopping = true;
        Dispatcher d = dispatcher;
        io.nats.client.Subscription s = coreSubscription;
        if (d != null && s != null) {
            try {
                d.unsubscribe(s);
            } catch (RuntimeException e) {
                LOG.debug("Unsubscribing '{}' failed: {}", name(), e.toString());
            }
        }
        JetStreamIntake js = jetStream;
        if (js != null) {
            js.stop();
        }
    }

    @Override
    protected void doClose(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        // what the rule gives back waits in stragglers until our consumer subscription is gone, so the server
        // gives it to another member; the drain is one round trip, it gets what the handlers left of the
        // timeout, but never less than that
        rule.close(timeout);
        releaseNow(Duration.ofNanos(Math.max(DRAIN_FLOOR.toNanos(), deadline - System.nanoTime())));
    }

    /** Unsubscribes at the server, then lets what it had already sent reach the handlers, within {@code timeout}. */
    private void drain(Dispatcher d, Duration timeout) {
        if (session.connection.getStatus() != Connection.Status.CONNECTED) {
            return; // nothing can be handed back now; the server redelivers after ackWait
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            // drain() itself may block while it flushes: the wait gets only what is left
            CompletableFuture<Boolean> drained = session.liveness.drain(d, timeout);
            if (!drained.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                LOG.debug("Draining subscription '{}' did not finish within {}", name(), timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | TimeoutException | RuntimeException e) {
            LOG.debug("Draining subscription '{}' failed: {}", name(), e.toString());
        }
    }

    /**
     * Lets go of the server side: in JetStream mode first drains the dispatcher (the server drops our
     * pull requests, and what it had already sent reaches {@link #onJetStreamMessage} to be handed
     * back) so that nothing waits out {@code ackWait} in a discarded client buffer.
     */
    private void releaseNow(Duration drainTimeout) {
        JetStreamIntake js = jetStream;
        Dispatcher d = dispatcher;
        if (js != null && d != null && !drainTimeout.isZero()) {
            drain(d, drainTimeout);
        }
        if (js != null) {
            js.close();
        }
        List<io.nats.client.Message> late;
        synchronized (stragglers) {
            released = true;
            late = new java.util.ArrayList<>(stragglers);
            stragglers.clear();
        }
        for (io.nats.client.Message m : late) {
            try {
                m.nak();
            } catch (RuntimeException e) {
                // the connection is gone: the server redelivers after ackWait
                LOG.debug("Could not hand back a message of '{}': {}", name(), e.toString());
            }
        }
        if (d != null && session.isJetStream()) {
            // core mode: the dispatcher is shared and stays; doStopIntake unsubscribed us from it
            session.monitor.unregister(d);
            try {
                if (d.isActive()) {
                    session.connection.closeDispatcher(d);
                }
            } catch (RuntimeException e) {
                LOG.debug("Closing the dispatcher of '{}' failed: {}", name(), e.toString());
            }
        }
        if (rule != null) {
            rule.close(Duration.ZERO);
        }
    }
}
