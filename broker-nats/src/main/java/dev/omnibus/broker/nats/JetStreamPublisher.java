package dev.omnibus.broker.nats;

import dev.omnibus.broker.BrokerException;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.PublishException;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.NatsMessage;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishing to the broker's JetStream stream. A message counts as published only when the stream
 * acknowledges it (PubAck); {@link #publishAndWait} is {@link #publish} and a wait for that.
 *
 * <p>Each publish is one small state machine, bounded by the publish timeout (a timer fails it
 * then): wait until connected, make sure the stream stores the topic ({@link StreamManager}), send
 * with jnats' {@code publishAsync}, and await the PubAck. It goes round again when no answer will
 * come or no stream took the message:
 * <ul>
 *   <li>the connection is down: wait for it to come back (polled every 100 ms);</li>
 *   <li>the stream check failed (the server is restarting, say): check again after 100 ms;</li>
 *   <li>"no responders" (503: no stream took it, as while a server shuts down, or another process
 *       deleted the stream): forget the cached stream check, check again and re-send after 100 ms;</li>
 *   <li>the attempt was in flight when the connection was lost ({@link #reconnected()} cancels such
 *       attempts, since the server that had them may never answer), or jnats gave up on the answer:
 *       re-send at once (the stream may then hold the message twice, as at-least-once allows).</li>
 * </ul>
 * A subject that another stream captures fails at once, and so does any other error. Failures are
 * {@link PublishException}s naming the message id, the topic, the (redacted) address and what to do.
 * {@link #beginClose()}, {@link #awaitInFlight} and {@link #close()} let {@code disconnect()} wait
 * for the acks of publishes in flight, then fail the rest.
 */
final class JetStreamPublisher {
    private static final Logger LOG = LoggerFactory.getLogger(JetStreamPublisher.class);
    private static final long RETRY_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** How long past the publish timeout a synchronous publish waits for a timer that never fired. */
    private static final long WAIT_MARGIN_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final JetStream jetStream;
    private final StreamManager streams;
    private final Connection connection;
    private final ConnectionMonitor monitor;
    private final ScheduledExecutorService timer;
    /** Retries wait on stream checks (management requests): never on the timer, nor on jnats' threads. */
    private final ScheduledExecutorService retries;
    private final Duration timeout;
    private final String address;
    private final Set<Publish> pending = ConcurrentHashMap.newKeySet();
    private final AtomicLong resends;
    private volatile boolean closing;

    JetStreamPublisher(JetStream jetStream, StreamManager streams, Connection connection, ConnectionMonitor monitor,
            ScheduledExecutorService timer, Duration publishTimeout, String address, String nodeId, AtomicLong resends) {
        this.jetStream = jetStream;
        this.streams = streams;
        this.connection = connection;
        this.monitor = monitor;
        this.timer = timer;
        this.timeout = publishTimeout;
        this.address = address;
        this.resends = resends;
        this.retries = NatsBroker.scheduler("omnibus-nats-resend-" + nodeId);
    }

    /**
     * Publishes {@code wire} ({@code message} on {@code topic}); the future completes on the PubAck,
     * or fails with a {@link PublishException} by the publish timeout. The first attempt runs on the
     * caller's thread (a stream check for a topic not seen before is a management request).
     */
    CompletableFuture<Void> publish(String topic, Message message, NatsMessage wire) {
        Publish p = new Publish(topic, message, wire);
        if (closing) {
            p.fail(disconnected(p, null));
            return p.result;
        }
        pending.add(p);
        p.result.whenComplete((v, e) -> pending.remove(p));
        try {
            ScheduledFuture<?> expiry = timer.schedule(() -> p.fail(expired(p)), timeout.toNanos(), TimeUnit.NANOSECONDS);
            p.result.whenComplete((v, e) -> expiry.cancel(false));
        } catch (RejectedExecutionException disconnecting) {
            p.fail(disconnected(p, disconnecting));
            return p.result;
        }
        attempt(p);
        return p.result;
    }

    /** {@link #publish} and wait for the PubAck; throws what the future would fail with. */
    void publishAndWait(String topic, Message message, NatsMessage wire) {
        CompletableFuture<Void> f = publish(topic, message, wire);
        try {
            // the future completes by the publish timeout; the margin only guards against a lost timer
            f.get(timeout.toNanos() + WAIT_MARGIN_NANOS, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof RuntimeException r ? r : new PublishException(String.valueOf(cause), cause);
        } catch (TimeoutException e) {
            PublishException lost = new PublishException("JetStream at " + address + " did not confirm message " + message.id()
                    + " to '" + topic + "' within " + timeout + " (publishTimeout), and the publish did not time out by itself; "
                    + "it may or may not be stored: publish it again");
            f.completeExceptionally(lost);
            throw lost;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            PublishException interrupted = new PublishException("interrupted while waiting for JetStream at " + address
                    + " to confirm message " + message.id() + " to '" + topic + "'; it may or may not be stored: publish it again", e);
            f.completeExceptionally(interrupted); // stops its retries
            throw interrupted;
        }
    }

    /**
     * Called after every reconnect: attempts sent before the connection was lost may never be
     * answered (the server that had them restarted), so they are cancelled and sent again.
     */
    void reconnected() {
        long now = monitor.losses();
        for (Publish p : pending) {
            Sent s = p.sent;
            if (s != null && s.losses < now) {
                s.ack.cancel(true);
            }
        }
    }

    /** From now on a failed attempt is not retried: it fails as disconnected. */
    void beginClose() {
        closing = true;
    }

    /** Waits until every publish in flight has completed, or until {@code deadlineNanos} ({@link System#nanoTime()}). */
    void awaitInFlight(long deadlineNanos) {
        if (pending.isEmpty()) {
            return;
        }
        CompletableFuture<?>[] all = pending.stream().map(p -> p.result).toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(all).get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // failed ones are settled; close() fails the rest
        }
    }

    /** Stops retrying and fails every publish still waiting for its PubAck. */
    void close() {
        closing = true;
        retries.shutdownNow();
        for (Publish p : pending) {
            p.fail(disconnected(p, null));
        }
    }

    /** One round of the state machine: connection, stream, send; the answer arrives in {@link #answered}. */
    private void attempt(Publish p) {
        if (p.result.isDone()) {
            return;
        }
        if (closing) {
            p.fail(disconnected(p, null));
            return;
        }
        Connection.Status status = connection.getStatus();
        if (status == Connection.Status.CLOSED) {
            p.fail(closed(p));
            return;
        }
        if (status != Connection.Status.CONNECTED) {
            // sending now would only add copies to the reconnect buffer as jnats expires them
            p.stage = Stage.CONNECTION;
            retryLater(p, RETRY_PAUSE_NANOS);
            return;
        }
        p.stage = Stage.STREAM;
        try {
            streams.ensure(p.topic);
        } catch (StreamManager.SubjectConflict conflict) {
            p.fail(new PublishException("could not publish message " + p.message.id() + " to '" + p.topic + "' at " + address
                    + ": " + conflict.getMessage(), conflict));
            return;
        } catch (BrokerException notYet) {
            p.problem = notYet.getMessage();
            LOG.debug("Stream check before publishing message {} failed: {}", p.message.id(), notYet.getMessage());
            retryLater(p, RETRY_PAUSE_NANOS);
            return;
        }
        p.stage = Stage.ACK;
        long losses = monitor.losses(); // before sending: a loss in between at worst sends it once more
        CompletableFuture<PublishAck> ack;
        try {
            ack = jetStream.publishAsync(p.wire);
        } catch (RuntimeException e) {
            Connection.Status now = connection.getStatus();
            if (closing) {
                p.fail(disconnected(p, e));
            } else if (now != Connection.Status.CONNECTED && now != Connection.Status.CLOSED) {
                p.problem = e.getMessage();
                p.stage = Stage.CONNECTION;
                retryLater(p, RETRY_PAUSE_NANOS); // lost the connection just now
            } else {
                p.fail(new PublishException("could not publish message " + p.message.id() + " to '" + p.topic + "' at "
                        + address + ": " + e.getMessage() + "; publish it again", e));
            }
            return;
        }
        p.everSent = true;
        p.sent = new Sent(ack, losses);
        if (p.result.isDone()) {
            ack.cancel(true); // failed (timed out, disconnected) while this attempt was being sent
            return;
        }
        ack.whenComplete((a, e) -> answered(p, e));
    }

    private void answered(Publish p, Throwable e) {
        if (e == null) {
            p.result.complete(null);
            return;
        }
        if (p.result.isDone()) {
            return; // failed meanwhile: this is its attempt being cancelled
        }
        Throwable cause = unwrap(e);
        if (closing) {
            p.fail(disconnected(p, cause));
        } else if (cause instanceof CancellationException) {
            // cancelled by reconnected(), or jnats gave up on the answer: no answer is coming
            resends.incrementAndGet();
            LOG.debug("No answer coming from JetStream for message {} to '{}'; sending it again", p.message.id(), p.topic);
            retryLater(p, 0);
        } else if (NatsWire.isNoResponders(cause)) {
            // no stream took it: the server is restarting (its streams stop before its connections do),
            // or another process deleted the stream or rewrote it without our subjects
            streams.invalidate(p.topic);
            p.stage = Stage.STREAM;
            p.problem = "no stream took the message (" + cause.getMessage() + ")";
            retryLater(p, RETRY_PAUSE_NANOS);
        } else if (cause instanceof JetStreamApiException api) {
            p.fail(new PublishException("JetStream at " + address + " refused message " + p.message.id() + " to '" + p.topic
                    + "': " + api.getErrorDescription() + " (code " + api.getApiErrorCode() + "); it was not stored: "
                    + "check the limits of stream '" + streams.stream() + "' (nats stream info " + streams.stream() + ")", api));
        } else {
            p.fail(new PublishException("JetStream at " + address + " did not confirm message " + p.message.id() + " to '"
                    + p.topic + "': " + cause.getMessage() + "; it may or may not be stored: publish it again", cause));
        }
    }

    private void retryLater(Publish p, long delayNanos) {
        try {
            if (delayNanos == 0) {
                retries.execute(() -> attempt(p));
            } else {
                retries.schedule(() -> attempt(p), delayNanos, TimeUnit.NANOSECONDS);
            }
        } catch (RejectedExecutionException disconnecting) {
            p.fail(disconnected(p, disconnecting));
        }
    }

    /** The failure at the publish timeout says what the publish was waiting for. */
    private PublishException expired(Publish p) {
        String stored = p.everSent ? "it may or may not be stored" : "it was not stored";
        String what = "could not publish message " + p.message.id() + " to '" + p.topic + "'";
        return switch (p.stage) {
            case CONNECTION -> new PublishException(what + ": the connection to " + address + " is down and did not recover within "
                    + timeout + " (publishTimeout; status " + connection.getStatus() + "); " + stored
                    + ": publish it again once NATS is reachable, or raise publishTimeout");
            case STREAM -> new PublishException(what + " at " + address + ": JetStream stream '" + streams.stream()
                    + "' did not take it within " + timeout + " (publishTimeout; last: " + p.problem + "); " + stored
                    + ": check that the server runs JetStream (nats-server -js) and is healthy, or raise publishTimeout");
            case ACK -> new PublishException("JetStream at " + address + " did not confirm message " + p.message.id() + " to '"
                    + p.topic + "' within " + timeout + " (publishTimeout); " + stored
                    + ": publish it again (the stream may then hold it twice), or raise publishTimeout");
        };
    }

    private PublishException closed(Publish p) {
        return new PublishException("could not publish message " + p.message.id() + " to '" + p.topic + "': the connection to "
                + address + " is closed (reconnect attempts exhausted; property maxReconnects); "
                + (p.everSent ? "it may or may not be stored" : "it was not stored") + ": disconnect() and connect() the broker, "
                + "then publish it again");
    }

    private PublishException disconnected(Publish p, Throwable cause) {
        return new PublishException("broker disconnected before JetStream at " + address + " confirmed message " + p.message.id()
                + " to '" + p.topic + "'; " + (p.everSent ? "it may or may not be stored" : "it was not stored")
                + ": publish it again after connect()", cause);
    }

    /** The error jnats' synchronous publish would throw, out of the wrappers its async publish adds. */
    private static Throwable unwrap(Throwable e) {
        Throwable cause = e;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        while (cause instanceof RuntimeException && !(cause instanceof CancellationException)
                && (cause.getCause() instanceof IOException || cause.getCause() instanceof JetStreamApiException)) {
            cause = cause.getCause();
        }
        return cause;
    }

    private enum Stage {
        /** Waiting for the connection to come back. */
        CONNECTION,
        /** Making sure the stream stores the topic (again, after "no responders"). */
        STREAM,
        /** Sent; waiting for the PubAck. */
        ACK
    }

    /** An attempt in flight and the connection-loss count before it was sent. */
    private record Sent(CompletableFuture<PublishAck> ack, long losses) {
    }

    private static final class Publish {
        final String topic;
        final Message message;
        final NatsMessage wire;
        final CompletableFuture<Void> result = new CompletableFuture<>();
        volatile Sent sent;
        volatile Stage stage = Stage.CONNECTION;
        /** What went wrong last in a round that is retried, for the timeout's message. */
        volatile String problem;
        volatile boolean everSent;

        Publish(String topic, Message message, NatsMessage wire) {
            this.topic = topic;
            this.message = message;
            this.wire = wire;
        }

        void fail(Throwable e) {
            if (result.completeExceptionally(e)) {
                Sent s = sent;
                if (s != null) {
                    s.ack.cancel(true);
                }
            }
        }
    }
}
