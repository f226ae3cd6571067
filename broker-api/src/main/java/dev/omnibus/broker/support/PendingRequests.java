package dev.omnibus.broker.support;

import dev.omnibus.broker.Message;
import dev.omnibus.broker.RequestException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requests waiting for their reply, keyed by correlation id, each failing with a
 * {@link RequestException} when its timeout passes. Replies for unknown or expired ids are dropped
 * with a debug log.
 */
public final class PendingRequests {
    private static final Logger LOG = LoggerFactory.getLogger(PendingRequests.class);

    private final ScheduledExecutorService timer;
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();

    /** @param timer runs the timeouts; owned by the caller */
    public PendingRequests(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    /**
     * One request: the future its caller holds, and its own timeout task (one object per request,
     * no completion callback). A request completed by the caller (cancelled, say) is forgotten when
     * its timeout passes.
     */
    private final class Pending extends CompletableFuture<Message> implements Runnable {
        private final String correlationId;
        private final String topic;
        private final Duration timeout;
        private volatile ScheduledFuture<?> timer;

        Pending(String correlationId, String topic, Duration timeout) {
            this.correlationId = correlationId;
            this.topic = topic;
            this.timeout = timeout;
        }

        @Override
        public void run() {
            if (pending.remove(correlationId, this)) {
                completeExceptionally(new RequestException("no reply to request on topic '" + topic + "' within "
                        + timeout + "; check that a subscriber answers it with event.reply(...)", false));
            }
        }

        void cancelTimeout() {
            ScheduledFuture<?> t = timer;
            if (t != null) {
                t.cancel(false);
            }
        }
    }

    /** Registers a request; the returned future completes with its reply or fails after {@code timeout}. */
    public CompletableFuture<Message> register(String correlationId, String topic, Duration timeout) {
        Pending p = new Pending(correlationId, topic, timeout);
        pending.put(correlationId, p);
        p.timer = timer.schedule(p, timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (p.isDone()) {
            p.cancelTimeout(); // the reply (or a failure) came before the timeout was armed
        }
        return p;
    }

    /** Completes the request {@code correlationId}; false if it is unknown or already timed out. */
    public boolean complete(String correlationId, Message reply) {
        Pending p = correlationId == null ? null : pending.remove(correlationId);
        if (p == null) {
            LOG.debug("Dropping reply {} for unknown or expired correlation id {}", reply.id(), correlationId);
            return false;
        }
        p.cancelTimeout();
        return p.complete(reply);
    }

    /** Fails {@code correlationId} at once, e.g. when the backend knows nobody will answer. */
    public void fail(String correlationId, RuntimeException cause) {
        Pending p = pending.remove(correlationId);
        if (p != null) {
            p.cancelTimeout();
            p.completeExceptionally(cause);
        }
    }

    /** Fails every pending request, e.g. on disconnect. */
    public void failAll(RuntimeException cause) {
        pending.keySet().forEach(id -> fail(id, cause));
    }

    public int size() {
        return pending.size();
    }
}
