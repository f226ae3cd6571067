package dev.omnibus.broker.kafka;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * One assigned partition of a queue-group member, for as long as it stays assigned: which records
 * were handed to the subscription and are not settled yet. Only the contiguous settled prefix is
 * committed ({@link #toCommit()}), so with concurrency above 1 a commit never passes an unsettled
 * record. The commit's metadata ({@value #DELIVERED}{@code <offset>}) records how far records were
 * handed out, so that the next owner counts those as redeliveries (attempt 2), and which records
 * above the committed offset were settled already ({@value #SETTLED}{@code <ranges>}, e.g.
 * {@code 17-20,23}), so that the next owner skips them instead of handing them out again: with
 * concurrency above 1, or a Flow subscriber whose demand let some records through while others
 * wait, a member that leaves has often settled records behind an unsettled one.
 *
 * <p>Once revoked, no new handler starts on its records ({@link #begin} is false) and settlements
 * no longer move the commit: the partition's next owner reads from the last commit.
 */
final class PartitionLedger {
    static final String DELIVERED = "omnibus:delivered=";
    static final String SETTLED = ";settled=";
    /** Most characters of settled ranges in one commit's metadata (the cluster's {@code offset.metadata.max.bytes} is 4096 by default); past it the rest is redelivered. */
    static final int MAX_SETTLED_CHARS = 3000;

    final TopicPartition partition;
    /** Offsets below it were handed out by an earlier owner (from its commit metadata). */
    private final long deliveredBefore;
    private final TreeSet<Long> open = new TreeSet<>();
    private final Set<Long> running = new HashSet<>();
    private long next = -1;
    private long committed = -1;
    private long committedDelivered = -1;
    private String committedSettled = "";
    /** Ranges (first to last offset) an earlier owner settled above its commit: skipped, never handed out again. */
    private final TreeMap<Long, Long> settledBefore;
    private boolean revoked;

    PartitionLedger(TopicPartition partition, OffsetAndMetadata committedOffset) {
        this.partition = partition;
        this.deliveredBefore = deliveredOf(committedOffset);
        this.committed = committedOffset == null ? -1 : committedOffset.offset();
        this.committedDelivered = deliveredBefore;
        this.settledBefore = settledOf(committedOffset);
        this.committedSettled = settledBefore.isEmpty() ? "" : ranges(settledBefore, committed);
    }

    /**
     * True if an earlier owner settled the record at {@code offset} already (its commit's metadata
     * says so): the caller skips it, and the ledger counts it as passed.
     */
    boolean skip(long offset) {
        if (settledBefore.isEmpty()) {
            return false; // the usual case, without the lock: the map is never changed after the constructor
        }
        Map.Entry<Long, Long> r = settledBefore.floorEntry(offset);
        if (r == null || offset > r.getValue()) {
            return false;
        }
        synchronized (this) {
            next = Math.max(next, offset + 1);
        }
        return true;
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
        String settled = settledAbove();
        if (offset == committed && delivered == committedDelivered && settled.equals(committedSettled)) {
            return null;
        }
        return new OffsetAndMetadata(offset, DELIVERED + delivered + (settled.isEmpty() ? "" : SETTLED + settled));
    }

    /** {@code c} without its list of settled records (for a cluster whose metadata limit refuses it). */
    static OffsetAndMetadata withoutSettled(OffsetAndMetadata c) {
        String m = c.metadata();
        int at = m == null ? -1 : m.indexOf(SETTLED);
        return at < 0 ? c : new OffsetAndMetadata(c.offset(), m.substring(0, at));
    }

    /** The settled records above the first unsettled one, as ranges: the gaps between open records, then what an earlier owner settled beyond {@code next}. */
    private String settledAbove() {
        if (open.isEmpty() && settledBefore.isEmpty()) {
            return "";
        }
        TreeMap<Long, Long> ranges = new TreeMap<>();
        Long prev = null;
        for (long o : open) {
            if (prev != null && o > prev + 1) {
                ranges.put(prev + 1, o - 1);
            }
            prev = o;
        }
        if (prev != null && next - 1 > prev) {
            ranges.put(prev + 1, next - 1);
        }
        // what an earlier owner settled and this one has not reached yet stays skipped for the next
        for (Map.Entry<Long, Long> r : settledBefore.entrySet()) {
            long from = Math.max(r.getKey(), next);
            if (from <= r.getValue()) {
                ranges.put(from, r.getValue());
            }
        }
        return ranges(ranges, open.isEmpty() ? next : open.first());
    }

    /** {@code 17-20,23}: the ranges at or above {@code from}, at most {@link #MAX_SETTLED_CHARS} characters of them. */
    private static String ranges(TreeMap<Long, Long> ranges, long from) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<Long, Long> r : ranges.tailMap(Math.max(0, from), true).entrySet()) {
            String one = r.getKey().equals(r.getValue()) ? Long.toString(r.getKey()) : r.getKey() + "-" + r.getValue();
            if (b.length() + one.length() + 1 > MAX_SETTLED_CHARS) {
                break;
            }
            if (b.length() > 0) {
                b.append(',');
            }
            b.append(one);
        }
        return b.toString();
    }

    /** Called once {@code c} was committed. */
    synchronized void committed(OffsetAndMetadata c) {
        if (c.offset() >= committed) {
            committed = c.offset();
            committedDelivered = Math.max(committedDelivered, deliveredOf(c));
            String m = c.metadata();
            int at = m == null ? -1 : m.indexOf(SETTLED);
            committedSettled = at < 0 ? "" : m.substring(at + SETTLED.length());
        }
    }

    static long deliveredOf(OffsetAndMetadata c) {
        if (c == null || c.metadata() == null || !c.metadata().startsWith(DELIVERED)) {
            return -1;
        }
        String m = c.metadata();
        int end = m.indexOf(';', DELIVERED.length());
        try {
            return Long.parseLong(m.substring(DELIVERED.length(), end < 0 ? m.length() : end));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The settled ranges of a commit's metadata at or above its offset; empty if none or unreadable. */
    static TreeMap<Long, Long> settledOf(OffsetAndMetadata c) {
        TreeMap<Long, Long> ranges = new TreeMap<>();
        String m = c == null ? null : c.metadata();
        int at = m == null ? -1 : m.indexOf(SETTLED);
        if (at < 0) {
            return ranges;
        }
        try {
            for (String r : m.substring(at + SETTLED.length()).split(",")) {
                if (r.isEmpty()) {
                    continue;
                }
                int dash = r.indexOf('-');
                long from = Long.parseLong(dash < 0 ? r : r.substring(0, dash));
                long to = dash < 0 ? from : Long.parseLong(r.substring(dash + 1));
                if (to >= from && to >= c.offset()) {
                    ranges.put(Math.max(from, c.offset()), to);
                }
            }
        } catch (NumberFormatException e) {
            return new TreeMap<>();
        }
        return ranges;
    }
}
