package dev.omnibus.broker.nats;

import dev.omnibus.broker.BrokerException;
import dev.omnibus.broker.BufferFullException;
import dev.omnibus.broker.Handler;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Topics;
import dev.omnibus.broker.support.AbstractSubscription;
import dev.omnibus.broker.support.DeadLetters;
import dev.omnibus.broker.support.DeliveryQueue;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStreamApiException;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A subscription on NATS. Each has its own jnats {@link Dispatcher}, so a slow or blocked handler
 * never holds up another subscription, and a {@link DeliveryQueue} whose workers run the handler
 * ({@code concurrency} of them; one keeps publish order).
 *
 * <p>Core mode: a (queue) subscription on the topic. A failed delivery is retried in this process
 * after {@code redeliveryDelay} up to {@code maxDeliveries} attempts, then dead-lettered or dropped
 * with an error; core NATS keeps nothing, so a crash loses what was in flight.
 *
 * <p>JetStream mode: a {@link JetStreamIntake} for published messages plus a core subscription on
 * the request subject ({@code <requestPrefix>.<topic>}) for {@code request()} traffic. A failed
 * delivery is nacked with {@code redeliveryDelay}; on the last attempt it is dead-lettered and
 * terminated. Closing hands every delivery not yet handled (or not acked, with manual ack) back to
 * the server at once, so another group member gets it without waiting for the ack wait.
 */
final class NatsSubscription extends AbstractSubscription {
    private static final Logger LOG = LoggerFactory.getLogger(NatsSubscription.class);
    private static final Duration RESUME_RETRY = Duration.ofSeconds(1);
    private static final Duration DRAIN_FLOOR = Duration.ofMillis(100);

    private final NatsBroker broker;
    private final Handler handler;
    private final boolean autoAck;
    private final String name;
    private final String coreSubject;
    private final int corePrefixLength;
    private final DeliveryQueue<NatsDelivery> queue;
    private final Set<NatsDelivery> unacked;
    private volatile Dispatcher dispatcher;
    private volatile io.nats.client.Subscription coreSubscription;
    private volatile JetStreamIntake jetStream;
    private volatile boolean stopping;
    private volatile boolean released;
    /** JetStream deliveries that arrived after intake stopped; handed back once our consumer subscription is gone. */
    private final List<io.nats.client.Message> stragglers = new java.util.ArrayList<>();

    NatsSubscription(NatsBroker broker, String pattern, Handler handler, SubscribeOptions options) {
        super(broker, pattern, options);
        this.broker = broker;
        this.handler = handler;
        this.autoAck = options.autoAck();
        this.unacked = autoAck ? null : ConcurrentHashMap.newKeySet();
        this.name = pattern + (options.queue() != null ? "@" + options.queue() : "");
        String prefix = broker.requestPrefix();
        this.coreSubject = prefix == null ? pattern : prefix + "." + pattern;
        this.corePrefixLength = prefix == null ? 0 : prefix.length() + 1;
        this.queue = new DeliveryQueue<>(name, options.concurrency(), options.bufferSize(), options.overflow(),
                options.blockTimeout(), this::process, this::dropped);
    }

    /** Subscribes at the server; returns once the server has registered the interest. */
    void start() {
        Connection conn = broker.connection();
        Dispatcher d = conn.createDispatcher();
        dispatcher = d;
        broker.monitor().register(d, name);
        try {
            coreSubscription = queue() == null ? d.subscribe(coreSubject, this::onCoreMessage)
                    : d.subscribe(coreSubject, queue(), this::onCoreMessage);
            if (broker.isJetStream()) {
                JetStreamIntake js = broker.newIntake(topic(), options());
                jetStream = js;
                js.start(d, this::onJetStreamMessage);
            }
            broker.liveness().confirm(broker.options().connectTimeout());
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
                    + (queue() != null ? " in group '" + queue() + "'" : "") + " at " + broker.address() + ": " + why, e);
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
            LOG.debug("Resumed JetStream consumption of '{}' after reconnect", name);
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            // a restarted server answers JetStream requests only once it has recovered its streams: try again
            LOG.warn("Could not resume subscription '{}' after reconnect yet, retrying in {}: {}", name, RESUME_RETRY, e.toString());
            try {
                broker.timer().schedule(this::resume, RESUME_RETRY.toMillis(), TimeUnit.MILLISECONDS);
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
        offer(new NatsDelivery(this, topic, m, 1, null));
    }

    private void onJetStreamMessage(io.nats.client.Message msg) {
        if (stopping) {
            // a nak now could bring the message straight back to our still-pending pull request
            synchronized (stragglers) {
                if (!released) {
                    stragglers.add(msg);
                    return;
                }
            }
            msg.nak();
            return;
        }
        String topic = msg.getSubject();
        jetStream.seen(msg.metaData().streamSequence());
        if (jetStream.filtersInClient() && !Topics.matches(topic(), topic)) {
            msg.ack();
            return;
        }
        int attempt = (int) Math.min(Integer.MAX_VALUE, msg.metaData().deliveredCount());
        offer(new NatsDelivery(this, topic, NatsWire.fromNats(msg, null), attempt, msg));
    }

    private void offer(NatsDelivery d) {
        try {
            if (!queue.offer(d)) {
                handBack(d);
            }
        } catch (BufferFullException e) {
            // DeliveryQueue already warned about the slow consumer
            handBack(d);
        }
    }

    private void process(NatsDelivery d) {
        if (unacked != null && d.jetStreamMessage() != null) {
            unacked.add(d);
        }
        d.handleWith(handler, autoAck);
    }

    void settled(NatsDelivery d) {
        if (unacked != null) {
            unacked.remove(d);
        }
    }

    void failed(NatsDelivery d, Throwable cause) {
        settled(d);
        SubscribeOptions o = options();
        io.nats.client.Message js = d.jetStreamMessage();
        boolean last = d.deliveryAttempt() >= o.maxDeliveries();
        if (js != null) {
            if (!last) {
                nak(js, o.redeliveryDelay());
            } else if (deadLetter(d, cause)) {
                js.term();
            } else {
                nak(js, o.redeliveryDelay());
            }
            return;
        }
        if (last) {
            deadLetter(d, cause);
            return;
        }
        Runnable retry = () -> {
            if (isActive()) {
                offer(new NatsDelivery(this, d.topic(), d.message(), d.deliveryAttempt() + 1, null));
            }
        };
        try {
            broker.timer().schedule(retry, o.redeliveryDelay().toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            LOG.warn("Message {} on '{}' not redelivered: the broker is disconnecting", d.message().id(), d.topic());
        }
    }

    /** True if the message left this subscription for good: dead-lettered, or dropped for lack of a topic. */
    private boolean deadLetter(NatsDelivery d, Throwable cause) {
        String dlt = options().deadLetterTopic();
        if (dlt == null) {
            LOG.error("Dropping message {} from topic '{}' after {} failed attempts (no deadLetterTopic set): {}",
                    d.message().id(), d.topic(), d.deliveryAttempt(), DeadLetters.reason(cause));
            return true;
        }
        try {
            broker.send(dlt, DeadLetters.of(d.message(), d.topic(), d.deliveryAttempt(), cause));
            return true;
        } catch (RuntimeException e) {
            LOG.error("Could not dead-letter message {} from topic '{}' to '{}': {}", d.message().id(), d.topic(), dlt, e.toString());
            return false;
        }
    }

    void reply(String replyTo, Message reply) {
        broker.sendReply(replyTo, reply);
    }

    private static void nak(io.nats.client.Message js, Duration delay) {
        if (delay.isZero()) {
            js.nak();
        } else {
            js.nakWithDelay(delay);
        }
    }

    private void dropped(NatsDelivery d) {
        handBack(d);
    }

    /** A delivery this subscription will not handle: JetStream gets it back at once; core NATS cannot take it. */
    private void handBack(NatsDelivery d) {
        io.nats.client.Message js = d.jetStreamMessage();
        if (js != null) {
            js.nak();
        } else {
            LOG.debug("Message {} on '{}' dropped: subscription '{}' stopped or its buffer was full", d.message().id(), d.topic(), name);
        }
    }

    @Override
    protected void doStopIntake() {
        stopping = true;
        Dispatcher d = dispatcher;
        io.nats.client.Subscription s = coreSubscription;
        if (d != null && s != null) {
            try {
                d.unsubscribe(s);
            } catch (RuntimeException e) {
                LOG.debug("Unsubscribing '{}' failed: {}", name, e.toString());
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
        List<NatsDelivery> left = new java.util.ArrayList<>(queue.close(timeout));
        if (unacked != null) {
            for (NatsDelivery d : unacked) {
                if (d.takeBack()) {
                    left.add(d);
                }
            }
            unacked.clear();
        }
        // hand back only after our consumer subscription is gone, so the server gives them to another member
        // the drain is one round trip; it gets what the handlers left of the timeout, but never less than that
        releaseNow(Duration.ofNanos(Math.max(DRAIN_FLOOR.toNanos(), deadline - System.nanoTime())));
        left.forEach(this::handBack);
    }

    /** Unsubscribes at the server, then lets what it had already sent reach the handlers, within {@code timeout}. */
    private void drain(Dispatcher d, Duration timeout) {
        if (broker.connection().getStatus() != Connection.Status.CONNECTED) {
            return; // nothing can be handed back now; the server redelivers after ackWait
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            // drain() itself may block while it flushes: the wait gets only what is left
            CompletableFuture<Boolean> drained = broker.liveness().drain(d, timeout);
            if (!drained.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                LOG.debug("Draining subscription '{}' did not finish within {}", name, timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | TimeoutException | RuntimeException e) {
            LOG.debug("Draining subscription '{}' failed: {}", name, e.toString());
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
        late.forEach(io.nats.client.Message::nak);
        if (d != null) {
            broker.monitor().unregister(d);
            try {
                if (d.isActive()) {
                    broker.connection().closeDispatcher(d);
                }
            } catch (RuntimeException e) {
                LOG.debug("Closing the dispatcher of '{}' failed: {}", name, e.toString());
            }
        }
        if (queue != null) {
            queue.close(Duration.ZERO).forEach(this::handBack);
        }
    }
}
