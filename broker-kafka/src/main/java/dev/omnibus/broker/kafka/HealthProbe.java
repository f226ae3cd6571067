package dev.omnibus.broker.kafka;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * Where the broker's health comes from between publishes: every {@code healthProbe} the admin
 * client asks the cluster for its nodes ({@code describeCluster}, one small metadata request over
 * the same advertised addresses the producer and consumers use), bounded by {@code connectTimeout}.
 * A probe that fails or is not answered in time reports the connection lost; the next answered one
 * reports it back. One probe is in flight at a time; it is scheduled on the session's timer and
 * completes on the admin client's thread, so it never blocks either.
 *
 * <p>kafka-clients keeps the state of its connections to itself (the producer and consumers retry
 * silently), so asking is the cheap and sound signal: it costs one request per interval and says
 * exactly "the cluster answers this client".
 */
final class HealthProbe {
    /** What the probe found. */
    interface Listener {
        void unanswered(Throwable cause);

        void answered();
    }

    private final Admin admin;
    private final ScheduledExecutorService timer;
    private final long intervalMillis;
    private final int timeoutMillis;
    private final Listener listener;
    private volatile boolean stopped;

    HealthProbe(Admin admin, ScheduledExecutorService timer, Duration interval, Duration timeout, Listener listener) {
        this.admin = admin;
        this.timer = timer;
        this.intervalMillis = Math.max(1, interval.toMillis());
        this.timeoutMillis = Math.max(1, ClientConfigs.millis(timeout));
        this.listener = listener;
    }

    void start() {
        schedule();
    }

    void stop() {
        stopped = true;
    }

    private void schedule() {
        if (stopped) {
            return;
        }
        try {
            timer.schedule(this::probe, intervalMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // the session is closing
        }
    }

    private void probe() {
        if (stopped) {
            return;
        }
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs(timeoutMillis)).nodes().whenComplete((nodes, e) -> {
                if (stopped) {
                    return;
                }
                if (e == null && !nodes.isEmpty()) {
                    listener.answered();
                } else {
                    listener.unanswered(e != null ? e : new TimeoutException("the cluster named no broker"));
                }
                schedule();
            });
        } catch (RuntimeException e) {
            // the admin client is closing
            if (!stopped) {
                listener.unanswered(e);
                schedule();
            }
        }
    }
}
