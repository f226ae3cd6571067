package dev.omnibus.broker.support;

import dev.omnibus.broker.BrokerException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Whether a backend's connection is usable, for publishers and subscribers that must wait for it
 * to come back instead of failing at once ("publish waits up to publishTimeout for recovery"). A
 * backend's connection listener calls {@link #markDown()} when the connection drops and
 * {@link #markUp()} once it is usable again (subscriptions live at the server); {@link #close}
 * closes it for good on disconnect, failing every waiter. Thread-safe.
 *
 * <p>The usual send loop of a backend: wait with {@link #await(long)} (or {@link #whenOpen()} for
 * an asynchronous publish) until the deadline of {@code publishTimeout}; send; if the send failed
 * because the connection dropped meanwhile, wait again and send again; on the deadline throw a
 * {@code PublishException} naming the message, the topic and the redacted address.
 */
public final class ConnectionGate {
    private final List<CompletableFuture<Void>> waiters = new ArrayList<>();
    private boolean open;
    private BrokerException closedForGood;

    /** A gate that starts {@code open} (a backend usually opens it once connected). */
    public ConnectionGate(boolean open) {
        this.open = open;
    }

    public synchronized boolean isOpen() {
        return open;
    }

    /** The connection dropped: waiters wait until {@link #markUp()}. Returns true if it was open. */
    public synchronized boolean markDown() {
        boolean was = open;
        open = false;
        return was;
    }

    /** The connection is usable again: every waiter goes on. Ignored once closed for good. Returns true if it was down. */
    public boolean markUp() {
        List<CompletableFuture<Void>> w;
        synchronized (this) {
            if (closedForGood != null || open) {
                return false;
            }
            open = true;
            w = new ArrayList<>(waiters);
            waiters.clear();
            notifyAll();
        }
        w.forEach(f -> f.complete(null));
        return true;
    }

    /** Completes when the gate is open; fails with the reason when it is closed for good. */
    public synchronized CompletableFuture<Void> whenOpen() {
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

    /**
     * Waits until open or the deadline ({@link System#nanoTime()}).
     *
     * @return true if open; false on the deadline or when closed for good
     */
    public synchronized boolean await(long deadlineNanos) throws InterruptedException {
        while (!open && closedForGood == null) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return open;
    }

    /** Closes the gate for good (disconnect): every waiter fails with {@code reason}. */
    public void close(BrokerException reason) {
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
}
