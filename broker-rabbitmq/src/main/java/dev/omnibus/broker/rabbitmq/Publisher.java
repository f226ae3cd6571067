package dev.omnibus.broker.rabbitmq;

import com.rabbitmq.client.AMQP;
import dev.omnibus.broker.BrokerException;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.MessageTooLargeException;
import dev.omnibus.broker.PublishException;
import dev.omnibus.broker.support.ConnectionGate;
import dev.omnibus.broker.support.DeadlineSweep;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Confirmed publishing. A message counts as published only when RabbitMQ confirms it. While the
 * connection is down, or when the connection drops before the confirm, the message is sent again
 * once the connection has recovered, until the publish timeout; then the publish fails with a
 * {@link PublishException}. A message is thus never reported published without a confirm; after a
 * connection loss it may arrive twice. A nack (a durable classic group queue whose node is down,
 * see {@link StaticTopology}) fails the publish at once.
 */
final class Publisher {
    private static final long RETRY_PAUSE_MILLIS = 50;

    private final ChannelPool pool;
    /** Plain channels for what is sent without a confirm (replies). */
    private final ChannelPool unconfirmed;
    private final ConnectionGate gate;
    private final ScheduledExecutorService timer;
    /** Every publish's timeout (all alike: the publish timeout), on one timer task. */
    private final DeadlineSweep deadlines;
    private final Executor retries;
    private final Duration timeout;
    private final long maxMessageBytes;
    private final boolean persistent;
    private final String address;
    private final String unavailable;

    Publisher(ChannelPool pool, ChannelPool unconfirmed, ConnectionGate gate, ScheduledExecutorService timer, Executor retries,
            ConnectionSettings settings, String address) {
        this.pool = pool;
        this.unconfirmed = unconfirmed;
        this.gate = gate;
        this.timer = timer;
        this.deadlines = new DeadlineSweep(timer);
        this.retries = retries;
        this.timeout = settings.options.publishTimeout();
        this.maxMessageBytes = settings.maxMessageBytes;
        this.persistent = settings.persistent;
        this.address = address;
        this.unavailable = StaticTopology.unavailableExchangeName(settings.exchange);
    }

    /**
     * Publishes to {@code exchange} with {@code routingKey}; the future completes on the confirm or
     * fails with a {@link dev.omnibus.broker.BrokerException}. {@code what} names the target in
     * messages (a topic, or the queue of a reply).
     */
    CompletableFuture<Void> send(String exchange, String routingKey, String what, Message message, boolean mandatory) {
        return send(exchange, routingKey, what, message, mandatory, true);
    }

    /**
     * {@link #send}; with {@code confirmed} false on a plain channel, and the future completes once the
     * message is written to the connection (still sent again after a connection loss, and failing
     * after the publish timeout if the connection does not come back).
     */
    CompletableFuture<Void> send(String exchange, String routingKey, String what, Message message, boolean mandatory,
            boolean confirmed) {
        if (message.size() > maxMessageBytes) {
            return CompletableFuture.failedFuture(new MessageTooLargeException(what, message.size(), maxMessageBytes));
        }
        Outgoing o = new Outgoing(confirmed ? pool : unconfirmed, exchange, routingKey, what, AmqpCodec.properties(message, persistent),
                message.body(), mandatory, System.nanoTime() + timeout.toNanos());
        try {
            deadlines.add(o, timeout.toNanos());
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new PublishException("cannot publish to '" + what + "': the broker is disconnecting"));
        }
        attempt(o);
        return o.result;
    }

    /** {@link #send} and wait for the confirm; throws what the future would fail with. */
    void sendAndWait(String exchange, String routingKey, String what, Message message, boolean mandatory) {
        CompletableFuture<Void> f = send(exchange, routingKey, what, message, mandatory);
        try {
            // the future always completes by the publish timeout; the margin only guards against a lost timer
            f.get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        } catch (TimeoutException e) {
            throw new PublishException("publish to '" + what + "' was not confirmed by RabbitMQ at " + address + " within " + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PublishException("interrupted while waiting for RabbitMQ to confirm the publish to '" + what
                    + "'; the message may or may not have been published");
        }
    }

    /** Throws what a completed {@code f} failed with, as {@link #sendAndWait} would; nothing if it succeeded or is pending. */
    void rethrowIfFailed(CompletableFuture<Void> f) {
        if (f.isCompletedExceptionally()) {
            try {
                f.join();
            } catch (CompletionException | java.util.concurrent.CancellationException e) {
                throw rethrow(e);
            }
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t instanceof RuntimeException ? (RuntimeException) t : new PublishException(String.valueOf(t.getMessage()), t);
    }

    private void attempt(Outgoing o) {
        if (o.result.isDone()) {
            return;
        }
        if (!gate.isOpen()) {
            gate.whenOpen().whenCompleteAsync((v, e) -> {
                if (e != null) {
                    o.result.completeExceptionally(rethrow(e));
                } else {
                    attempt(o);
                }
            }, retries);
            return;
        }
        CompletableFuture<Void> confirm;
        try {
            confirm = o.via.publish(o.exchange, o.routingKey, o.mandatory, o.props, o.body, o.deadline);
        } catch (TimeoutException e) {
            o.result.completeExceptionally(expired(o));
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            o.result.completeExceptionally(new PublishException("interrupted while publishing to '" + o.what + "'"));
            return;
        } catch (IOException | RuntimeException e) {
            failed(o, e);
            return;
        }
        confirm.whenComplete((v, e) -> {
            if (e == null) {
                o.result.complete(null);
            } else {
                failed(o, e);
            }
        });
    }

    private void failed(Outgoing o, Throwable e) {
        if (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof BrokerException) {
            o.result.completeExceptionally(e);
            return;
        }
        if (e instanceof ConfirmTracker.Nacked) {
            o.result.completeExceptionally(new PublishException("RabbitMQ at " + address + " refused the publish to '" + o.what
                    + "' (basic.nack): a queue on its route rejected it, most likely because a durable group on it has a classic"
                    + " queue whose cluster node is down (its guard exchange routed the message to '" + unavailable
                    + "'), so that group would not get it; other subscribers may have. Publish it again once the node is back,"
                    + " or use queueType=quorum, whose queues survive the loss of a node"));
            return;
        }
        long[] tooLarge = AmqpErrors.tooLarge(e);
        if (tooLarge != null && tooLarge[0] == o.body.length) {
            o.result.completeExceptionally(new MessageTooLargeException(o.what, tooLarge[0], tooLarge[1]));
            return;
        }
        // a lost connection, or a channel closed because of another message on it: send again
        if (AmqpErrors.connectionLost(e) || tooLarge != null) {
            retryLater(o);
            return;
        }
        var signal = AmqpErrors.signal(e);
        if (signal != null && signal.isInitiatedByApplication()) {
            o.result.completeExceptionally(new PublishException("publish to '" + o.what + "' abandoned: the broker disconnected from "
                    + address + " before RabbitMQ confirmed it"));
            return;
        }
        String hint = AmqpErrors.code(e) == AmqpErrors.NOT_FOUND
                ? "; the exchange is declared at connect, so it was deleted since: disconnect and connect again"
                : "";
        o.result.completeExceptionally(new PublishException("RabbitMQ at " + address + " refused the publish to '" + o.what + "': "
                + AmqpErrors.text(e) + hint, e));
    }

    private void retryLater(Outgoing o) {
        try {
            // a short pause so that the connection's shutdown reaches the gate before the next attempt
            timer.schedule(() -> retries.execute(() -> attempt(o)), RETRY_PAUSE_MILLIS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            o.result.completeExceptionally(new PublishException("publish to '" + o.what + "' abandoned: the broker disconnected"));
        }
    }

    private PublishException expired(Outgoing o) {
        String why = gate.isOpen() ? "RabbitMQ did not confirm it" : "the connection is down and did not recover";
        return new PublishException("publish to '" + o.what + "' failed after " + timeout + " (publishTimeout): " + why
                + " at " + address + "; the message may not have been published, retry it or raise publishTimeout");
    }

    private final class Outgoing implements DeadlineSweep.Deadline {
        final ChannelPool via;
        final String exchange;
        final String routingKey;
        final String what;
        final AMQP.BasicProperties props;
        final byte[] body;
        final boolean mandatory;
        final long deadline;
        final CompletableFuture<Void> result = new CompletableFuture<>();

        Outgoing(ChannelPool via, String exchange, String routingKey, String what, AMQP.BasicProperties props, byte[] body,
                boolean mandatory, long deadline) {
            this.via = via;
            this.exchange = exchange;
            this.routingKey = routingKey;
            this.what = what;
            this.props = props;
            this.body = body;
            this.mandatory = mandatory;
            this.deadline = deadline;
        }

        @Override
        public long deadlineNanos() {
            return deadline;
        }

        @Override
        public boolean finished() {
            return result.isDone();
        }

        @Override
        public void expire() {
            result.completeExceptionally(expired(this));
        }

        @Override
        public String toString() {
            return "publish to '" + what + "'";
        }
    }
}
