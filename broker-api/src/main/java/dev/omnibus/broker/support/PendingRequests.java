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
    private final Map<String, CompletableFuture<Message>> pending = new ConcurrentHashMap<>();

    /** @param timer runs the timeouts; owned by the caller */
    public PendingRequests(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    /** Registers a request; the returned future completes with its reply or fails after {@code timeout}. */
    public CompletableFuture<Message> register(String correlationId, String topic, Duration timeout) {
        CompletableFuture<Message> f = new CompletableFuture<>();
        pending.put(correlationId, f);
        ScheduledFuture<?> t = timer.schedule(() -> {
            if (pending.remove(correlationId, f)) {
                f.completeExceptionally(new RequestException("no reply to request on topic '" + topic + "' within "
                        + timeout + "; check that a subscriber answers it with event.reply(...)", false));
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        f.whenComplete((m, e) -> t.cancel(false));
        return f;
    }

    /** Completes the request {@code correlationId}; false if it is unknown or already timed out. */
    public boolean complete(String correlationId, Message reply) {
        CompletableFuture<Message> f = correlationId == null ? null : pending.remove(correlationId);
        if (f == null) {
            LOG.debug("Dropping reply {} for unknown or expired correlation id {}", reply.id(), correlationId);
            return false;
        }
        return f.complete(reply);
    }

    /** Fails {@code correlationId} at once, e.g. when the backend knows nobody will answer. */
    public void fail(String correlationId, RuntimeException cause) {
        CompletableFuture<Message> f = pending.remove(correlationId);
        if (f != null) {
            f.completeExceptionally(cause);
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
