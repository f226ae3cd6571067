package dev.omnibus.broker.rabbitmq;

import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.ShutdownListener;
import com.rabbitmq.client.ShutdownSignalException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The outstanding publishes of one confirm-mode channel, by publish sequence number. A broker
 * ack completes them, a nack fails them, and a channel shutdown fails every outstanding one with
 * the shutdown signal (a recovered channel starts a new sequence, so nothing may stay behind).
 */
final class ConfirmTracker implements ConfirmListener, ShutdownListener {
    private final ConcurrentSkipListMap<Long, CompletableFuture<Void>> outstanding = new ConcurrentSkipListMap<>();

    /** Registers sequence number {@code seq}, before the message is sent. */
    CompletableFuture<Void> track(long seq) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        outstanding.put(seq, f);
        return f;
    }

    /** Fails {@code seq} when sending it failed. */
    void fail(long seq, Throwable cause) {
        CompletableFuture<Void> f = outstanding.remove(seq);
        if (f != null) {
            f.completeExceptionally(cause);
        }
    }

    @Override
    public void handleAck(long deliveryTag, boolean multiple) {
        settle(deliveryTag, multiple, null);
    }

    @Override
    public void handleNack(long deliveryTag, boolean multiple) {
        settle(deliveryTag, multiple, NACKED);
    }

    /** What a nacked publish fails with here; {@link Publisher} turns it into a PublishException naming the topic. */
    static final Nacked NACKED = new Nacked();

    /** RabbitMQ nacked the publish (basic.nack). */
    static final class Nacked extends RuntimeException {
        private static final long serialVersionUID = 1L;

        private Nacked() {
            super("basic.nack", null, false, false);
        }
    }

    @Override
    public void shutdownCompleted(ShutdownSignalException cause) {
        for (Map.Entry<Long, CompletableFuture<Void>> e; (e = outstanding.pollFirstEntry()) != null; ) {
            e.getValue().completeExceptionally(cause);
        }
    }

    int size() {
        return outstanding.size();
    }

    private void settle(long tag, boolean multiple, Throwable failure) {
        if (multiple) {
            ConcurrentNavigableMap<Long, CompletableFuture<Void>> head = outstanding.headMap(tag, true);
            for (Map.Entry<Long, CompletableFuture<Void>> e; (e = head.pollFirstEntry()) != null; ) {
                complete(e.getValue(), failure);
            }
        } else {
            CompletableFuture<Void> f = outstanding.remove(tag);
            if (f != null) {
                complete(f, failure);
            }
        }
    }

    private static void complete(CompletableFuture<Void> f, Throwable failure) {
        if (failure == null) {
            f.complete(null);
        } else {
            f.completeExceptionally(failure);
        }
    }
}
