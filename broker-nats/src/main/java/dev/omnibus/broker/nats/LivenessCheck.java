package dev.omnibus.broker.nats;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The round trips that tell a subscription it is live at the server, shared by every subscribe
 * of one broker.
 *
 * <p>A flush sends a PING and waits for the PONG; since the server handles a connection's
 * protocol in order, a PONG proves that every SUB written before its PING is registered. jnats
 * allows only {@code maxPingsOut} (2) PINGs outstanding and treats one more as a dead connection
 * ("Max outgoing Ping count exceeded"): it drops and rebuilds the connection, losing what was in
 * flight. So at most one PING of this broker is outstanding at a time, and subscribes that ask
 * meanwhile share it: a caller joins the round that has not started yet (its SUB is already
 * written, so that round's PING follows it), and the first caller of a round sends its PING as
 * soon as the previous round's PONG came back. A caller therefore waits for at most the round in
 * flight plus its own, never for the whole queue of callers. Dispatcher drains, which flush
 * inside jnats, take the same one permit.
 */
final class LivenessCheck {
    private final Connection connection;
    private final ConnectionMonitor monitor;
    /** One PING of ours outstanding at a time (jnats' own ping timer may add a second). */
    private final Semaphore ping = new Semaphore(1, true);
    private final Object lock = new Object();
    /** The round callers join now; null until someone asks. */
    private Round open;

    private static final class Round {
        final CompletableFuture<Void> done = new CompletableFuture<>();
    }

    LivenessCheck(Connection connection, ConnectionMonitor monitor) {
        this.connection = connection;
        this.monitor = monitor;
    }

    /**
     * Returns once the server answered a round trip that started after this call, so everything
     * this connection wrote before the call (a SUB, say) has reached the server.
     *
     * @throws TimeoutException when no such answer came within {@code timeout}, with the reason
     */
    void confirm(Duration timeout) throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Round mine;
            boolean lead;
            synchronized (lock) {
                lead = open == null;
                if (lead) {
                    open = new Round();
                }
                mine = open;
            }
            if (lead) {
                run(mine, deadline);
            }
            try {
                mine.done.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof ConnectionLost lost)) {
                    throw unconfirmed(timeout, e.getCause().getMessage());
                }
                if (System.nanoTime() >= deadline) {
                    throw unconfirmed(timeout, lost.getMessage());
                }
                // jnats sends our SUBs again after a reconnect: a round after it confirms them
            } catch (TimeoutException e) {
                throw unconfirmed(timeout, "no answer to a PING");
            }
        }
    }

    private static TimeoutException unconfirmed(Duration timeout, String why) {
        return new TimeoutException("the server did not confirm the subscription within " + timeout + " (connectTimeout): " + why
                + "; check that the NATS server is reachable and keeping up, or raise connectTimeout");
    }

    /** The leader of {@code round}: waits for the permit, closes the round to newcomers, and flushes. */
    private void run(Round round, long deadline) throws InterruptedException {
        boolean acquired = false;
        try {
            acquired = ping.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            synchronized (lock) {
                if (open == round) {
                    open = null; // who asks from now on needs a PING sent after theirs
                }
            }
            if (!acquired) {
                round.done.completeExceptionally(new TimeoutException("the previous round trip to the server was still unanswered"));
                return;
            }
            long lossesBefore = monitor.losses();
            long flushesBefore = connection.getStatistics().getFlushCounter();
            connection.flush(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            // jnats' flush also returns without a round trip when it found too many PINGs outstanding
            // (and drops the connection) or the connection not up: only a counted flush on an unbroken
            // connection is an answer
            if (monitor.losses() != lossesBefore || connection.getStatus() != Connection.Status.CONNECTED
                    || connection.getStatistics().getFlushCounter() == flushesBefore) {
                round.done.completeExceptionally(new ConnectionLost("the connection was lost during the round trip"));
            } else {
                round.done.complete(null);
            }
        } catch (TimeoutException e) {
            round.done.completeExceptionally(new TimeoutException("the server did not answer a PING in time (" + e.getMessage() + ")"));
        } catch (InterruptedException e) {
            round.done.completeExceptionally(new ConnectionLost("interrupted"));
            throw e;
        } catch (RuntimeException e) {
            round.done.completeExceptionally(new ConnectionLost(e.toString()));
        } finally {
            if (acquired) {
                ping.release();
            }
        }
    }

    /**
     * {@link Dispatcher#drain} under the same permit: it flushes inside jnats, and two drains or a
     * drain beside a liveness round trip must not exceed jnats' PING allowance.
     */
    CompletableFuture<Boolean> drain(Dispatcher dispatcher, Duration timeout) throws InterruptedException {
        if (!ping.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            return CompletableFuture.completedFuture(false);
        }
        try {
            return dispatcher.drain(timeout);
        } finally {
            ping.release();
        }
    }

    /** The round ended without an answer that can be trusted; a later round may still succeed. */
    private static final class ConnectionLost extends Exception {
        private static final long serialVersionUID = 1L;

        ConnectionLost(String message) {
            super(message, null, false, false);
        }
    }
}
