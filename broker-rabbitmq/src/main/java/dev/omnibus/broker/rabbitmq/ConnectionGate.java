package dev.omnibus.broker.rabbitmq;

import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import com.rabbitmq.client.ShutdownListener;
import com.rabbitmq.client.ShutdownSignalException;
import dev.omnibus.broker.BrokerException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the connection is usable: closed when it drops, open again once amqp-client has
 * recovered the connection <em>and</em> its topology (so a publish after that is routed to the
 * recovered queues), closed for good on disconnect. Publishers and subscribers wait here.
 */
final class ConnectionGate implements ShutdownListener, RecoveryListener {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionGate.class);

    private final String address;
    private final List<CompletableFuture<Void>> waiters = new ArrayList<>();
    private boolean open = true;
    private BrokerException closedForGood;

    ConnectionGate(String address) {
        this.address = address;
    }

    synchronized boolean isOpen() {
        return open;
    }

    /** Completes when the gate is open; fails when it is closed for good. */
    synchronized CompletableFuture<Void> whenOpen() {
        if (closedForGood != null) {
            return CompletableFuture.failedFuture(closedForGood);
        }
        if (open) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        waiters.add(f);
        return f;
    }

    /** Waits until open or the deadline ({@link System#nanoTime()}); false on timeout or when closed for good. */
    synchronized boolean await(long deadline) throws InterruptedException {
        while (!open && closedForGood == null) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return open;
    }

    /** Closes the gate for good (disconnect): every waiter fails with {@code reason}. */
    void close(BrokerException reason) {
        List<CompletableFuture<Void>> w;
        synchronized (this) {
            open = false;
            closedForGood = reason;
            w = new ArrayList<>(waiters);
            waiters.clear();
            notifyAll();
        }
        w.forEach(f -> f.completeExceptionally(reason));
    }

    @Override
    public void shutdownCompleted(ShutdownSignalException cause) {
        synchronized (this) {
            if (!open) {
                return;
            }
            open = false;
        }
        if (!cause.isInitiatedByApplication()) {
            LOG.warn("Connection to RabbitMQ at {} lost ({}); recovering, publishers wait for it", address, AmqpErrors.text(cause));
        }
    }

    @Override
    public void handleRecovery(Recoverable recoverable) {
        List<CompletableFuture<Void>> w;
        synchronized (this) {
            if (closedForGood != null) {
                return;
            }
            open = true;
            w = new ArrayList<>(waiters);
            waiters.clear();
            notifyAll();
        }
        LOG.info("Connection to RabbitMQ at {} recovered with its queues, bindings and consumers", address);
        w.forEach(f -> f.complete(null));
    }

    @Override
    public void handleRecoveryStarted(Recoverable recoverable) {
        LOG.debug("Recovering the connection to {}", address);
    }
}
