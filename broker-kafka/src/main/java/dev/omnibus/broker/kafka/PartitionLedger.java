package dev.omnibus.broker.kafka;

import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * One assigned partition of a queue-group member, for as long as it stays assigned: which records
 * were handed to the subscription and are not settled yet. Only the contiguous settled prefix is
 * committed ({@link #toCommit()}), so with concurrency above 1 a commit never passes an unsettled
 * record. The commit's metadata ({@value #DELIVERED}{@code <offset>}) records how far records were
 * handed out, so that the next owner counts those as redeliveries (attempt 2).
 *
 * <p>Once revoked, no new handler starts on its records ({@link #begin} is false) and settlements
 * no longer move the commit: the partition's next owner reads from the last commit.
 */
final class PartitionLedger {
    static final String DELIVERED = "omnibus:delivered=";

    final TopicPartition partition;
    /** Offsets below it were handed out by an earlier owner (from its commit metadata). */
    private final long deliveredBefore;
    private final TreeSet<Long> open = new TreeSet<>();
    private final Set<Long> running = new HashSet<>();
    private long next = -1;
    private long committed = -1;
    private long committedDelivered = -1;
    private boolean revoked;

    PartitionLedger(TopicPartition partition, OffsetAndMetadata committedOffset) {
        this.partition = partition;
        this.deliveredBefore = deliveredOf(committedOffset);
        this.committed = committedOffset == null ? -1 : committedOffset.offset();
        this.committedDelivered = deliveredBefore;
    }

    /** The first delivery attempt of the record at {@code offset}: 2 when an earlier owner had it already. */
    int firstAttempt(long offset) {
        return offset < deliveredBefore ? 2 : 1;
    }

    synchronized void offered(long offset) {
        open.add(offset);
        next = Math.max(next, offset + 1);
    }

    /** Marks a handler starting on {@code offset}; false once revoked (skip it: the next owner gets it). */
    synchronized boolean begin(long offset) {
        if (revoked) {
            return false;
        }
        running.add(offset);
        return true;
    }

    synchronized void end(long offset) {
        running.remove(offset);
        notifyAll();
    }

    synchronized void settled(long offset) {
        if (!revoked) {
            open.remove(offset);
        }
    }

    synchronized int openCount() {
        return open.size();
    }

    /** Stops new handlers and waits up to {@code millis} for the running ones; settlements after it do not count. */
    synchronized void revoke(long millis) {
        long deadline = System.currentTimeMillis() + millis;
        try {
            while (!running.isEmpty()) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    break;
                }
                wait(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        OffsetAndMetadata last = toCommitLocked();
        revoked = true;
        finalCommit = last;
    }

    private OffsetAndMetadata finalCommit;

    /** After {@link #revoke}: the last commit to make, or null. */
    synchronized OffsetAndMetadata finalCommit() {
        return finalCommit;
    }

    /** The offset to commit now (the first unsettled record, or after the last handed out), or null if unchanged. */
    synchronized OffsetAndMetadata toCommit() {
        return revoked ? null : toCommitLocked();
    }

    private OffsetAndMetadata toCommitLocked() {
        if (next < 0) {
            return null;
        }
        long offset = open.isEmpty() ? next : open.first();
        long delivered = Math.max(next, deliveredBefore);
        if (offset == committed && delivered == committedDelivered) {
            return null;
        }
        return new OffsetAndMetadata(offset, DELIVERED + delivered);
    }

    /** Called once {@code c} was committed. */
    synchronized void committed(OffsetAndMetadata c) {
        if (c.offset() >= committed) {
            committed = c.offset();
            committedDelivered = Math.max(committedDelivered, deliveredOf(c));
        }
    }

    static long deliveredOf(OffsetAndMetadata c) {
        if (c == null || c.metadata() == null || !c.metadata().startsWith(DELIVERED)) {
            return -1;
        }
        try {
            return Long.parseLong(c.metadata().substring(DELIVERED.length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
