package dev.omnibus.broker.support;

import dev.omnibus.broker.Message;
import dev.omnibus.broker.RequestException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requests waiting for their reply, keyed by correlation id, each failing with a
 * {@link RequestException} when its timeout passes. Replies for unknown or expired ids are dropped
 * with a debug log. The timeouts share one {@link DeadlineSweep} on the timer (no task scheduled
 * and cancelled per request); a request expires within a few milliseconds of its timeout.
 */
public final class PendingRequests {
    private static final Logger LOG = LoggerFactory.getLogger(PendingRequests.class);

    private final DeadlineSweep sweep;
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();

    /** @param timer runs the timeouts; owned by the caller */
    public PendingRequests(ScheduledExecutorService timer) {
        this.sweep = new DeadlineSweep(timer);
    }

    /**
     * One request: the future its caller holds and its deadline (one object per request, no
     * completion callback). A request completed by the caller (cancelled, say) is forgotten by the
     * next sweep.
     */
    private final class Pending extends CompletableFuture<Message> implements DeadlineSweep.Deadline {
        private final String correlationId;
        private final String topic;
        private final Duration timeout;
        private final long deadline;

        Pending(String correlationId, String topic, Duration timeout, long deadline) {
            this.correlationId = correlationId;
            this.topic = topic;
            this.timeout = timeout;
            this.deadline = deadline;
        }

        @Override
        public long deadlineNanos() {
            return deadline;
        }

        /** Done: completed, failed, or cancelled by its caller (then it is forgotten here too). */
        @Override
        public boolean finished() {
            if (isDone()) {
                pending.remove(correlationId, this);
                return true;
            }
            return false;
        }

        @Override
        public void expire() {
            if (pending.remove(correlationId, this)) {
                completeExceptionally(new RequestException("no reply to request on topic '" + topic + "' within "
                        + timeout + "; check that a subscriber answers it with event.reply(...)", false));
            }
        }

        @Override
        public String toString() {
            return "request " + correlationId + " on '" + topic + "'";
        }
    }

    /** Registers a request; the returned future completes with its reply or fails after {@code timeout}. */
    public CompletableFuture<Message> register(String correlationId, String topic, Duration timeout) {
        long nanos = timeout.toNanos();
        Pending p = new Pending(correlationId, topic, timeout, System.nanoTime() + nanos);
        pending.put(correlationId, p);
        sweep.add(p, nanos);
        return p;
    }

    /** Completes the request {@code correlationId}; false if it is unknown or already timed out. */
    public boolean complete(String correlationId, Message reply) {
        Pending p = correlationId == null ? null : pending.remove(correlationId);
        if (p == null) {
            LOG.debug("Dropping reply {} for unknown or expired correlation id {}", reply.id(), correlationId);
            return false;
        }
        return p.complete(reply);
    }

    /** Fails {@code correlationId} at once, e.g. when the backend knows nobody will answer. */
    public void fail(String correlationId, RuntimeException cause) {
        Pending p = pending.remove(correlationId);
        if (p != null) {
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
