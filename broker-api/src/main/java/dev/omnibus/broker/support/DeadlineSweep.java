package dev.omnibus.broker.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Timeouts of many short-lived operations (publishes awaiting a confirm, requests awaiting a reply)
 * on one timer task, instead of a task scheduled and cancelled per operation: adding one costs a
 * queue node, no lock shared with the timer and no timer-thread wake-up. Almost every operation
 * finishes long before its deadline; the sweep only drops those.
 *
 * <p>Operations are kept in one FIFO lane per timeout value, so each lane is in deadline order and
 * the sweep looks only at the head of each lane: it drops finished heads and expires heads whose
 * deadline has passed. While anything is kept the sweep runs at least every
 * {@link #RESOLUTION} (so finished operations are released soon) and at the earliest pending
 * deadline, so an operation expires within a few milliseconds of its deadline; with nothing kept,
 * no task is scheduled. The number of FIFO lanes is bounded ({@link #MAX_LANES}): operations with
 * still other timeout values share one more lane kept in deadline order (a priority queue), so
 * every timeout is kept, and only the rare ones pay for the ordering.
 */
public final class DeadlineSweep {
    /** Longest gap between two sweeps while something is kept. */
    public static final Duration RESOLUTION = Duration.ofMillis(50);
    /** Most distinct timeout values that get a FIFO lane of their own; others share the ordered lane. */
    public static final int MAX_LANES = 64;

    private static final Logger LOG = LoggerFactory.getLogger(DeadlineSweep.class);
    private static final long RESOLUTION_NANOS = RESOLUTION.toNanos();
    private static final long MIN_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /** An operation with a deadline. */
    public interface Deadline {
        /** The {@link System#nanoTime()} by which it must be done. */
        long deadlineNanos();

        /** True once it finished (or failed) by itself: the sweep forgets it. */
        boolean finished();

        /** Its deadline passed and it is not done: fail it. Called once, on the timer's thread. */
        void expire();
    }

    private final ScheduledExecutorService timer;
    private final Map<Long, Queue<Deadline>> lanes = new ConcurrentHashMap<>();
    /** The timeouts beyond {@link #MAX_LANES} distinct values, in deadline order. */
    private final Queue<Deadline> ordered = new PriorityBlockingQueue<>(16, Comparator.comparingLong(Deadline::deadlineNanos));
    private final AtomicBoolean armed = new AtomicBoolean();
    private final Runnable sweep = this::sweep;
    private final Runnable extra = this::sweepLanes;
    /** When the scheduled sweep runs ({@link System#nanoTime()}); meaningful while armed. */
    private volatile long due = Long.MIN_VALUE;

    /** @param timer runs the sweep; owned by the caller */
    public DeadlineSweep(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    /**
     * Keeps {@code d}, whose deadline is {@code timeoutNanos} after now, until it is done or expired.
     *
     * @throws RejectedExecutionException if the timer is shut down
     */
    public void add(Deadline d, long timeoutNanos) {
        if (timer.isShutdown()) {
            throw new RejectedExecutionException("timer shut down");
        }
        Queue<Deadline> lane = lanes.get(timeoutNanos);
        if (lane == null) {
            lane = lanes.size() >= MAX_LANES ? ordered : lanes.computeIfAbsent(timeoutNanos, k -> new ConcurrentLinkedQueue<>());
        }
        lane.add(d);
        if (!armed.get() && armed.compareAndSet(false, true)) {
            schedule(Math.min(timeoutNanos, RESOLUTION_NANOS));
        } else if (timeoutNanos < RESOLUTION_NANOS && System.nanoTime() + timeoutNanos < due) {
            // a timeout shorter than the wait for the scheduled sweep: one extra sweep at its deadline
            try {
                timer.schedule(extra, Math.max(MIN_DELAY_NANOS, timeoutNanos), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                // shutting down: whoever owns the operations fails them
            }
        }
    }

    /** Operations kept (done ones not swept yet included); for tests. */
    public int size() {
        int n = 0;
        for (Queue<Deadline> lane : allLanes()) {
            n += lane.size();
        }
        return n;
    }

    private void schedule(long delayNanos) {
        long delay = Math.max(MIN_DELAY_NANOS, delayNanos);
        due = System.nanoTime() + delay;
        try {
            timer.schedule(sweep, delay, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            armed.set(false); // shutting down: whoever owns the operations fails them
        }
    }

    /** The scheduled sweep: the lanes, then the next sweep while anything is kept. */
    private void sweep() {
        long next = Long.MAX_VALUE;
        try {
            next = sweepLanes();
        } finally {
            armed.set(false);
            // an add() that saw armed == true just before the line above is in its lane now: look again
            boolean kept = false;
            for (Queue<Deadline> lane : allLanes()) {
                kept |= !lane.isEmpty();
            }
            if (kept && armed.compareAndSet(false, true)) {
                schedule(Math.min(next, RESOLUTION_NANOS));
            }
        }
    }

    /**
     * Drops finished operations and expires those past their deadline; returns the nanoseconds to
     * the earliest deadline left. Serialised: a lane's head is looked at and taken by one sweep at a time.
     */
    private synchronized long sweepLanes() {
        long now = System.nanoTime();
        long next = Long.MAX_VALUE;
        // lanes are never removed (at most MAX_LANES of them), so no add can land in a forgotten lane
        for (Queue<Deadline> lane : allLanes()) {
            try {
                for (Deadline d; (d = lane.peek()) != null; ) {
                    if (d.finished()) {
                        lane.poll();
                    } else if (d.deadlineNanos() - now <= 0) {
                        lane.poll();
                        try {
                            d.expire();
                        } catch (RuntimeException e) {
                            // one operation's failure must not stop the sweep
                            LOG.warn("Expiring {} failed: {}", d, e.toString());
                        }
                    } else {
                        next = Math.min(next, d.deadlineNanos() - now);
                        // the head waits for its deadline: release what finished behind it now, not then
                        lane.removeIf(Deadline::finished);
                        break;
                    }
                }
            } catch (RuntimeException e) {
                LOG.warn("Sweeping deadlines failed: {}", e.toString());
            }
        }
        return next;
    }

    private List<Queue<Deadline>> allLanes() {
        List<Queue<Deadline>> all = new ArrayList<>(lanes.values());
        all.add(ordered);
        return all;
    }
}
