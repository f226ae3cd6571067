package dev.omnibus.broker.support;

import dev.omnibus.broker.BufferFullException;
import dev.omnibus.broker.Handler;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.RetryPolicy;
import dev.omnibus.broker.SubscribeOptions;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens to a subscription's deliveries, written once for every backend.
 *
 * <ul>
 *   <li><b>Hand-off:</b> deliveries pass a {@link DeliveryQueue} (the subscription's buffer and
 *       overflow policy, drained by at most {@code concurrency} threads of the broker's shared
 *       {@link HandlerPool}) to the handler, run with the auto-ack rules.
 *   <li><b>Manual ack:</b> deliveries handed to the handler and not yet settled are tracked, so
 *       that closing can give them back, and bounded by {@code prefetch}: the handler gets the next
 *       delivery only once fewer than {@code prefetch} are unsettled (meanwhile no thread waits:
 *       the subscription's drain ends and the next settle starts it again).
 *   <li><b>After a failure</b> (the handler threw or nacked at attempt {@code n}): if the
 *       subscription's {@link RetryPolicy} retries it, the backend redelivers it after
 *       {@link RetryPolicy#delayAfter(int)}; otherwise (last attempt, or a non-retryable failure)
 *       it is published to the dead-letter topic through the broker's own
 *       {@link AbstractBroker#publishAsync publishAsync} (so publish interceptors see it) and settled
 *       once the broker accepted it, or, without a dead-letter topic, dropped with one logged error.
 *   <li><b>When the dead letter cannot be published</b>, the message is not lost: it stays
 *       unsettled and is delivered again after the policy's delay (at least
 *       {@link #DEAD_LETTER_RETRY_FLOOR}), after which a failure tries the dead letter again; if
 *       the subscription is closing it is given back to the broker instead. One error is logged per
 *       failed dead-letter attempt, and no worker thread ever waits for the dead letter: it is
 *       published from threads of its own. A dead letter no attempt could publish (bad input, over
 *       the size limit) is dropped with one error.
 *   <li><b>Backend verbs that fail</b> (a closed connection) are logged and never stop a worker.
 *   <li><b>Closing</b> gives back, through the backend, every delivery not yet started and every
 *       unsettled one (manual ack) the handler did not settle first.
 * </ul>
 *
 * <p>A backend supplies only the {@link Backend} verbs; it feeds the rule with {@link #offer}
 * (or {@link #take} / {@link #tryTake} where refusals are its own business, as in the memory
 * broker's groups) and calls {@link #close(Duration)} from its subscription's {@code doClose}.
 *
 * @param <H> the backend's handle of a delivery at its broker ({@link Delivery#handle()})
 */
public final class DeliveryRule<H> {
    /** Least wait before a message whose dead letter could not be published is delivered again. */
    public static final Duration DEAD_LETTER_RETRY_FLOOR = Duration.ofSeconds(1);
    /** How soon an in-process redelivery that found the buffer full tries again. */
    static final Duration FULL_BUFFER_RETRY = Duration.ofMillis(50);

    private static final Logger LOG = LoggerFactory.getLogger(DeliveryRule.class);

    /** Why a delivery is settled for good. */
    public enum Outcome {
        /** The handler returned (auto-ack) or acked. */
        HANDLED,
        /** The broker accepted its dead letter. */
        DEAD_LETTERED,
        /** Given up without a dead-letter topic; logged. */
        DROPPED
    }

    /**
     * The few things a backend does differently. Called from worker threads, timer threads or the
     * client's threads: implementations must not block for long.
     */
    public interface Backend<H> {
        /**
         * Delivers {@code delivery}'s message again after {@code delay}, as attempt
         * {@code deliveryAttempt() + 1}: in process with {@link DeliveryRule#retryLater}, or by the
         * broker (JetStream: nak with delay).
         */
        void redeliver(Delivery<H> delivery, Duration delay);

        /** The broker may forget {@code delivery} (ack, JetStream term). At most once per delivery; never for one given back. */
        void settle(Delivery<H> delivery, Outcome outcome);

        /**
         * {@code delivery} will not be handled here: give it back to the broker so that another
         * member (or a later one) gets it at once (requeue, nak); a broker that cannot hold it drops
         * it with a debug line. {@code started}: the handler ran on it (so the next attempt counts one more).
         */
        void giveBack(Delivery<H> delivery, boolean started);

        /** Publishes a reply ({@link dev.omnibus.broker.Event#reply}); {@code reply} has its correlation id. */
        void reply(String replyTo, Message reply);

        /**
         * The overflow policy (DROP_OLDEST, DROP_NEWEST) dropped {@code delivery} before the handler
         * saw it. Default: {@link #giveBack(Delivery, boolean) give it back}, for a broker that keeps
         * it for another member; a backend whose give-back would bring it straight back (JetStream's
         * nak) lets it go instead.
         */
        default void dropped(Delivery<H> delivery) {
            giveBack(delivery, false);
        }
    }

    private final AbstractBroker broker;
    private final String name;
    private final Handler handler;
    private final boolean autoAck;
    private final RetryPolicy retry;
    private final String deadLetterTopic;
    private final Backend<H> backend;
    private final DeliveryQueue<Delivery<H>> queue;
    private final Set<Delivery<H>> unsettled;
    private final int prefetch;
    private volatile boolean closing;

    /**
     * @param broker   the subscription's broker: dead letters are published through it, and its
     *                 {@link HandlerPool} runs the handler
     * @param name     the subscription's name for threads and logs ({@code pattern} or {@code pattern@queue})
     * @param handler  the handler, interceptors already applied
     * @param options  the subscription's options (ack mode, concurrency, retry, dead-letter topic, overflow)
     * @param capacity the buffer between the broker and the handler (at least 1)
     * @param backend  the backend's verbs
     */
    public DeliveryRule(AbstractBroker broker, String name, Handler handler, SubscribeOptions options, int capacity,
            Backend<H> backend) {
        this.broker = Objects.requireNonNull(broker);
        this.name = Objects.requireNonNull(name);
        this.handler = Objects.requireNonNull(handler);
        this.autoAck = options.autoAck();
        this.retry = options.retry();
        this.deadLetterTopic = options.deadLetterTopic();
        this.backend = Objects.requireNonNull(backend);
        this.unsettled = autoAck ? null : ConcurrentHashMap.newKeySet();
        this.prefetch = options.prefetch();
        this.queue = new DeliveryQueue<>(name, options.concurrency(), capacity, options.overflow(), options.blockTimeout(),
                this::process, d -> {
                    if (closing) {
                        // a worker still held it when close() gave up waiting for its handler
                        giveBack(d, false);
                    } else {
                        LOG.debug("Message {} for subscription '{}' dropped by its overflow policy", d.message().id(), name);
                        verb("drop", d, () -> backend.dropped(d));
                    }
                }, broker.handlerPool(), autoAck ? 0 : prefetch);
    }

    /** The subscription's name, as in threads and logs. */
    public String name() {
        return name;
    }

    /**
     * Hands a delivery to the workers; one that cannot be taken (closing, or a full buffer under
     * FAIL / BLOCK) is given back at once through {@link Backend#giveBack}. Never throws for a full buffer.
     *
     * @return true if the handler will get it
     */
    public boolean offer(String topic, Message message, int attempt, H handle) {
        Delivery<H> d = new Delivery<>(this, topic, message, attempt, handle);
        boolean taken;
        try {
            taken = queue.offer(d);
        } catch (BufferFullException e) {
            // the queue already warned about the slow consumer
            taken = false;
        }
        if (!taken) {
            giveBack(d, false);
        }
        return taken;
    }

    /**
     * Hands a delivery to the workers under the overflow policy, leaving a refusal to the caller.
     *
     * @return false if closing (nothing was taken)
     * @throws BufferFullException under FAIL, or under BLOCK after the block timeout
     */
    public boolean take(String topic, Message message, int attempt, H handle) {
        return queue.offer(new Delivery<>(this, topic, message, attempt, handle));
    }

    /** Hands a delivery to the workers only if open and there is room; never blocks, drops or gives back. */
    public boolean tryTake(String topic, Message message, int attempt, H handle) {
        return queue.tryOffer(new Delivery<>(this, topic, message, attempt, handle));
    }

    /** Deliveries waiting in the buffer. */
    public int buffered() {
        return queue.size();
    }

    /** True once {@link #close} started: what fails now is given back rather than redelivered here. */
    public boolean isClosing() {
        return closing;
    }

    /**
     * For {@link Backend#redeliver} of a backend that retries in process: offers {@code delivery}'s
     * message again as the next attempt after {@code delay}, on {@code timer}. If the subscription
     * closed meanwhile, or the timer is shut down, the message is given back instead.
     */
    public void retryLater(Delivery<H> delivery, Duration delay, ScheduledExecutorService timer) {
        offerLater(delivery, delivery.deliveryAttempt() + 1, delay, timer);
    }

    /**
     * Offers {@code delivery}'s message again after {@code delay} as the same attempt (it was not
     * handled: a full buffer, say), on {@code timer}; as {@link #retryLater} otherwise.
     */
    public void offerAgainLater(Delivery<H> delivery, Duration delay, ScheduledExecutorService timer) {
        offerLater(delivery, delivery.deliveryAttempt(), delay, timer);
    }

    /** Never blocks the timer: a full buffer makes it try again shortly, a closed subscription gives the message back. */
    private void offerLater(Delivery<H> d, int attempt, Duration delay, ScheduledExecutorService timer) {
        Runnable again = () -> {
            if (queue.tryOffer(new Delivery<>(this, d.topic(), d.message(), attempt, d.handle()))) {
                return;
            }
            if (closing || queue.isClosed()) {
                giveBack(d, attempt > d.deliveryAttempt());
            } else {
                offerLater(d, attempt, FULL_BUFFER_RETRY, timer);
            }
        };
        try {
            timer.schedule(again, delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            giveBack(d, true);
        }
    }

    /**
     * Stops tracking {@code delivery} without settling it: the broker took it back on its own (a
     * Kafka partition revoked from this member). A later ack or nack of it does nothing.
     */
    public void forget(Delivery<H> delivery) {
        if (delivery.takeBack()) {
            untrack(delivery);
        }
    }

    /** Runs {@code action} on each delivery handed to the handler and not settled yet (manual ack only). */
    public void forEachUnsettled(java.util.function.Consumer<? super Delivery<H>> action) {
        if (unsettled != null) {
            unsettled.forEach(action);
        }
    }

    /**
     * Stops the workers (running handlers get up to {@code timeout}), then gives back every
     * delivery not started and every unsettled one. Idempotent. After it returns no handler runs.
     */
    public void close(Duration timeout) {
        closing = true;
        for (Delivery<H> d : queue.close(timeout)) {
            giveBack(d, false);
        }
        if (unsettled != null) {
            for (Delivery<H> d : unsettled) {
                if (d.takeBack()) {
                    giveBack(d, true);
                }
            }
            unsettled.clear();
        }
    }

    private void process(Delivery<H> d) {
        if (unsettled != null && !track(d)) {
            giveBack(d, false);
            return;
        }
        d.handleWith(handler, autoAck);
    }

    /** Tracks {@code d}; false if closing. The queue handed it out only within prefetch (see DeliveryQueue's unsettled bound). */
    private boolean track(Delivery<H> d) {
        if (closing) {
            return false;
        }
        unsettled.add(d);
        return true;
    }

    void acked(Delivery<H> d) {
        untrack(d);
        settle(d, Outcome.HANDLED);
    }

    void failed(Delivery<H> d, Throwable cause) {
        untrack(d);
        int attempt = d.deliveryAttempt();
        if (retry.retriesAfter(attempt, cause)) {
            if (closing) {
                giveBack(d, true);
            } else {
                Duration delay = retry.delayAfter(attempt);
                verb("redeliver", d, () -> backend.redeliver(d, delay));
            }
            return;
        }
        String why = attempt >= retry.maxDeliveries() ? "after " + attempt + " failed attempts" : "at attempt " + attempt
                + " (not retryable)";
        if (deadLetterTopic == null) {
            LOG.error("Dropping message {} from topic '{}' {} (no deadLetterTopic set): {}",
                    d.message().id(), d.topic(), why, DeadLetters.reason(cause));
            settle(d, Outcome.DROPPED);
            return;
        }
        // off the worker: a backend's publish may wait for its connection, a stream, a full buffer
        CompletableFuture<Void> sent;
        try {
            sent = CompletableFuture.supplyAsync(() -> broker.publishAsync(deadLetterTopic,
                    DeadLetters.of(d.message(), d.topic(), attempt, cause)), DeadLetters.SENDER).thenCompose(f -> f);
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenComplete((ok, e) -> {
            if (e == null) {
                settle(d, Outcome.DEAD_LETTERED);
            } else {
                deadLetterFailed(d, e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
            }
        });
    }

    private void deadLetterFailed(Delivery<H> d, Throwable e) {
        if (permanent(e)) {
            LOG.error("Dropping message {} from topic '{}': it cannot be dead-lettered to '{}' at all ({})",
                    d.message().id(), d.topic(), deadLetterTopic, e.getMessage());
            settle(d, Outcome.DROPPED);
            return;
        }
        if (closing) {
            LOG.error("Could not dead-letter message {} from topic '{}' to '{}' ({}); it goes back to the broker",
                    d.message().id(), d.topic(), deadLetterTopic, e.getMessage());
            giveBack(d, true);
            return;
        }
        Duration delay = retry.delayAfter(d.deliveryAttempt());
        if (delay.compareTo(DEAD_LETTER_RETRY_FLOOR) < 0) {
            delay = DEAD_LETTER_RETRY_FLOOR;
        }
        LOG.error("Could not dead-letter message {} from topic '{}' to '{}' ({}); it stays unsettled and is delivered again in {}",
                d.message().id(), d.topic(), deadLetterTopic, e.getMessage(), delay);
        Duration wait = delay;
        verb("redeliver", d, () -> backend.redeliver(d, wait));
    }

    /**
     * A dead letter no later attempt can publish: bad input (its headers over the limits, the
     * dead-letter topic invalid) or a message over the size limit. Anything else (a lost connection,
     * a refusal by an interceptor, a timeout) may pass later.
     */
    private static boolean permanent(Throwable e) {
        return e instanceof IllegalArgumentException || e instanceof dev.omnibus.broker.MessageTooLargeException
                || e instanceof dev.omnibus.broker.UnsupportedCapabilityException;
    }

    private void settle(Delivery<H> d, Outcome outcome) {
        verb("settle", d, () -> backend.settle(d, outcome));
    }

    private void giveBack(Delivery<H> d, boolean started) {
        verb("give back", d, () -> backend.giveBack(d, started));
    }

    /** Runs a backend verb; one that throws (a closed connection, say) is logged once and never reaches the worker. */
    private void verb(String what, Delivery<H> d, Runnable verb) {
        try {
            verb.run();
        } catch (RuntimeException e) {
            LOG.warn("Could not {} message {} of subscription '{}' at the broker: {}; the broker keeps it until its own"
                    + " redelivery, if it keeps anything", what, d.message().id(), name, e.toString());
        }
    }

    void reply(String replyTo, Message reply) {
        backend.reply(replyTo, reply);
    }

    private void untrack(Delivery<H> d) {
        if (unsettled != null && unsettled.remove(d)) {
            queue.settled();
        }
    }

    /** What it holds now, for diagnostics: its queue (buffered, drains, credits) and, with manual ack, the unsettled deliveries. */
    public String state() {
        return queue + (unsettled != null ? ", unsettled=" + unsettled.size() : "");
    }

    @Override
    public String toString() {
        return "DeliveryRule{" + name + ", " + retry + (deadLetterTopic != null ? ", deadLetterTopic=" + deadLetterTopic : "") + "}";
    }
}
