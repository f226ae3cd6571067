package dev.omnibus.broker.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ReturnListener;
import com.rabbitmq.client.ShutdownSignalException;
import dev.omnibus.broker.PublishException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Confirm-mode channels for publishing (or, for replies, plain channels). A thread borrows a
 * channel for the few microseconds of one {@code basicPublish} and gives it back, so no channel is ever used by two threads at once
 * while confirms are awaited without holding one. At most {@code size} channels exist; a channel
 * closed by a channel error (as RabbitMQ does to a publish over its size limit) is replaced, one
 * closed with the connection is kept, since amqp-client recovers it.
 */
final class ChannelPool {
    private static final Logger LOG = LoggerFactory.getLogger(ChannelPool.class);

    private static final CompletableFuture<Void> SENT = CompletableFuture.completedFuture(null);

    private final Connection connection;
    private final ReturnListener returns;
    private final boolean confirms;
    private final Semaphore permits;
    private final LinkedBlockingDeque<Pooled> idle = new LinkedBlockingDeque<>();
    private final List<Pooled> all = new ArrayList<>();
    private volatile boolean closed;

    ChannelPool(Connection connection, int size, ReturnListener returns) {
        this(connection, size, returns, true);
    }

    /** @param confirms false: plain channels, and {@link #publish} returns a completed future once the message is written */
    ChannelPool(Connection connection, int size, ReturnListener returns, boolean confirms) {
        this.connection = connection;
        this.returns = returns;
        this.confirms = confirms;
        this.permits = new Semaphore(size);
    }

    /**
     * Sends one message on a borrowed channel and returns the future of its confirm.
     *
     * @throws TimeoutException when no channel became free before {@code deadline}
     */
    CompletableFuture<Void> publish(String exchange, String routingKey, boolean mandatory, AMQP.BasicProperties props,
            byte[] body, long deadline) throws IOException, TimeoutException, InterruptedException {
        Pooled p = borrow(deadline);
        try {
            if (!confirms) {
                p.channel.basicPublish(exchange, routingKey, mandatory, props, body);
                return SENT;
            }
            long seq = p.channel.getNextPublishSeqNo();
            CompletableFuture<Void> confirm = p.tracker.track(seq);
            try {
                p.channel.basicPublish(exchange, routingKey, mandatory, props, body);
            } catch (IOException | RuntimeException e) {
                p.tracker.fail(seq, e);
                throw e;
            }
            return confirm;
        } finally {
            release(p);
        }
    }

    /** Closes every channel; outstanding confirms fail. */
    void close() {
        closed = true;
        List<Pooled> channels;
        synchronized (all) {
            channels = new ArrayList<>(all);
            all.clear();
        }
        for (Pooled p : channels) {
            discard(p);
        }
        idle.clear();
    }

    private Pooled borrow(long deadline) throws IOException, TimeoutException, InterruptedException {
        if (!permits.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
            throw new TimeoutException("no publishing channel became free in time");
        }
        try {
            if (closed) {
                throw new PublishException("the broker is disconnecting");
            }
            Pooled p;
            while ((p = idle.pollFirst()) != null) {
                if (!isBroken(p.channel)) {
                    return p;
                }
                forget(p);
            }
            return open();
        } catch (IOException | RuntimeException e) {
            permits.release();
            throw e;
        }
    }

    private void release(Pooled p) {
        if (closed || isBroken(p.channel)) {
            forget(p);
        } else {
            idle.offerFirst(p);
        }
        permits.release();
    }

    private void forget(Pooled p) {
        synchronized (all) {
            all.remove(p);
        }
        discard(p);
    }

    private Pooled open() throws IOException {
        Channel ch = connection.createChannel();
        if (ch == null) {
            throw new IOException("RabbitMQ has no channel left on this connection (channel_max reached)");
        }
        Pooled p = new Pooled(ch, new ConfirmTracker());
        if (confirms) {
            ch.confirmSelect();
            ch.addConfirmListener(p.tracker);
        } else {
            // nothing outstanding to fail on a plain channel: a channel error (a reply over the server's
            // max_message_size, say) would otherwise lose what was just sent on it without a word
            ch.addShutdownListener(cause -> {
                if (!cause.isHardError() && !cause.isInitiatedByApplication()) {
                    LOG.warn("RabbitMQ closed a reply channel: {}; a reply sent on it just before is lost (its request fails"
                            + " with its timeout)", AmqpErrors.text(cause));
                }
            });
        }
        ch.addShutdownListener(p.tracker);
        ch.addReturnListener(returns);
        synchronized (all) {
            all.add(p);
        }
        return p;
    }

    // closed by a channel error (not by the connection, which amqp-client recovers with its channels)
    private static boolean isBroken(Channel ch) {
        if (ch.isOpen()) {
            return false;
        }
        ShutdownSignalException reason = ch.getCloseReason();
        return reason == null || !reason.isHardError() || reason.isInitiatedByApplication();
    }

    private static void discard(Pooled p) {
        try {
            if (p.channel.isOpen()) {
                p.channel.close();
            }
        } catch (Exception e) {
            LOG.debug("Closing publishing channel: {}", e.toString());
        }
        p.tracker.shutdownCompleted(new ShutdownSignalException(false, true, null, p.channel));
    }

    private static final class Pooled {
        final Channel channel;
        final ConfirmTracker tracker;

        Pooled(Channel channel, ConfirmTracker tracker) {
            this.channel = channel;
            this.tracker = tracker;
        }
    }
}
