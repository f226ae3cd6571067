package dev.omnibus.broker.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.OffsetMetadataTooLarge;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member of a queue group: a consumer of the group's Kafka consumer group, with manual commits
 * of each partition's settled prefix ({@link PartitionLedger}) and cooperative rebalancing. A
 * partition without a committed offset starts at the earliest offset in a durable group, and at the
 * first record published at or after this member subscribed in a non-durable one; that start is
 * committed at once, so the group keeps it. Revoked partitions wait briefly for running handlers,
 * then commit. All consumer calls happen on its thread.
 */
final class GroupConsumer implements Runnable, ConsumerRebalanceListener {
    private static final Logger LOG = LoggerFactory.getLogger(GroupConsumer.class);
    private static final long COMMIT_EVERY_MS = 200;

    private final KafkaSubscription sub;
    private final java.util.function.Consumer<String> onLeft;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String groupId;
    private final boolean durable;
    private final int threshold;
    private final Duration callTimeout;
    private final long revokeWaitMillis;
    private final long settleMillis;
    private final Map<TopicPartition, PartitionLedger> ledgers = new ConcurrentHashMap<>();
    private final CountDownLatch released = new CountDownLatch(1);
    private final Object ready = new Object();
    private final Room room = new Room();
    private final Thread thread;
    private volatile boolean intake = true;
    private long firstAssignment = -1;
    private boolean owned;
    private long lastCommit;

    /**
     * @param onLeft called with the group id after this member left, for a non-durable group (null for a durable one)
     */
    GroupConsumer(KafkaSubscription sub, KafkaConsumer<byte[], byte[]> consumer, String groupId, Duration callTimeout,
            Duration heartbeat, java.util.function.Consumer<String> onLeft) {
        this.sub = sub;
        this.onLeft = onLeft;
        this.consumer = consumer;
        this.groupId = groupId;
        this.durable = sub.options().durable();
        this.threshold = Math.max(1, Math.min(sub.options().prefetch(), sub.options().bufferSize()));
        this.callTimeout = callTimeout;
        this.revokeWaitMillis = Math.min(2_000, sub.options().blockTimeout().toMillis());
        this.settleMillis = 3 * heartbeat.toMillis();
        this.thread = new Thread(this, "omnibus-kafka-group-" + sub.name());
        thread.setDaemon(true);
    }

    String groupId() {
        return groupId;
    }

    /**
     * Joins the group; returns once this member holds partitions, or its first assignment is empty and
     * stayed so for a few heartbeats (more members than partitions), or {@code timeout} passed.
     */
    void start(Duration timeout) {
        thread.start();
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        synchronized (ready) {
            while (true) {
                long now = System.currentTimeMillis();
                if (owned || firstAssignment > 0 && now - firstAssignment >= settleMillis) {
                    return;
                }
                if (now >= deadline) {
                    LOG.warn("Queue group '{}' (consumer group '{}'): no partition assigned within {}; the subscription"
                            + " stays and takes partitions when the group gives it some", sub.queue(), groupId, timeout);
                    return;
                }
                try {
                    ready.wait(Math.min(100, deadline - now));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    @Override
    public void run() {
        try {
            if (sub.regex != null) {
                consumer.subscribe(sub.regex, this);
            } else {
                consumer.subscribe(List.of(sub.topic()), this);
            }
            while (intake) {
              try {
                boolean full = flowControl();
                // paused: a poll only serves callbacks and heartbeats, then the thread waits for room
                ConsumerRecords<byte[], byte[]> records = consumer.poll(full ? Duration.ZERO : Duration.ofMillis(100));
                if (full) {
                    room.await(() -> !intake || openCount() < threshold, 100);
                }
                // partition by partition: one ledger lookup per partition, not per record
                for (TopicPartition p : records.partitions()) {
                    PartitionLedger ledger = ledgers.get(p);
                    if (ledger == null) {
                        continue;
                    }
                    for (ConsumerRecord<byte[], byte[]> r : records.records(p)) {
                        if (ledger.skip(r.offset())) {
                            continue; // an earlier owner settled it (its commit says so)
                        }
                        ledger.offered(r.offset());
                        sub.offer(r.topic(), KafkaWire.message(r), ledger.firstAttempt(r.offset()), new Rec(ledger, r.offset()));
                    }
                }
                if (System.currentTimeMillis() - lastCommit >= COMMIT_EVERY_MS) {
                    commit(false);
                }
              } catch (WakeupException e) {
                // stopIntake
              } catch (RuntimeException e) {
                if (intake) {
                    LOG.warn("Queue group '{}' (consumer group '{}'): {}; retrying", sub.queue(), groupId, e.toString());
                    pause();
                }
              }
            }
        } catch (RuntimeException e) {
            LOG.error("Queue group '{}' (consumer group '{}') cannot subscribe: {}", sub.queue(), groupId, e.toString());
        }
        try {
            // handlers finish (or are given back) first, then the settled prefix is committed and the member leaves
            released.await(30, TimeUnit.SECONDS);
            lastCommit();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("Queue group '{}': last commit failed ({}); the group redelivers what this member handled since its"
                    + " previous commit", sub.queue(), e.toString());
        } finally {
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                LOG.debug("Closing the consumer of group '{}': {}", groupId, e.toString());
            }
            if (onLeft != null) {
                onLeft.accept(groupId);
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Pauses the partitions while the member holds {@code threshold} unsettled records, else resumes them; true when paused. */
    private boolean flowControl() {
        if (openCount() >= threshold) {
            consumer.pause(consumer.assignment());
            return true;
        }
        if (!consumer.paused().isEmpty()) {
            consumer.resume(consumer.paused());
        }
        return false;
    }

    private int openCount() {
        int open = 0;
        for (PartitionLedger l : ledgers.values()) {
            open += l.openCount();
        }
        return open;
    }

    /** A handler settled one of this member's records: a paused member may fetch again. */
    void settled() {
        room.signal();
    }

    /**
     * False once the cluster refused a commit's metadata as too large (its {@code offset.metadata.max.bytes}
     * is below {@link PartitionLedger#MAX_SETTLED_CHARS} plus a little): from then on commits carry only
     * how far records were handed out, and records settled above the committed offset are delivered
     * again after a rebalance (at least once), as before they were listed.
     */
    private volatile boolean settledInMetadata = true;

    private Map<TopicPartition, OffsetAndMetadata> fit(Map<TopicPartition, OffsetAndMetadata> offsets) {
        if (settledInMetadata) {
            return offsets;
        }
        Map<TopicPartition, OffsetAndMetadata> plain = new HashMap<>();
        offsets.forEach((p, c) -> plain.put(p, PartitionLedger.withoutSettled(c)));
        return plain;
    }

    private void metadataTooLarge(Exception e) {
        if (settledInMetadata) {
            settledInMetadata = false;
            LOG.warn("Kafka refused a commit of group '{}' because its metadata (the records settled above the committed offset)"
                    + " is too large: {}; commits now carry the offset only, so such records are delivered again after a"
                    + " rebalance. Raise offset.metadata.max.bytes on the cluster (default 4096) to keep the list", groupId, e.getMessage());
        }
    }

    /** {@code commitSync}, once more without the settled list if the cluster refuses its size. */
    private void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
        try {
            consumer.commitSync(fit(offsets), callTimeout);
        } catch (OffsetMetadataTooLarge e) {
            metadataTooLarge(e);
            consumer.commitSync(fit(offsets), callTimeout);
        }
    }

    private void commit(boolean sync) {
        lastCommit = System.currentTimeMillis();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        Map<TopicPartition, PartitionLedger> by = new HashMap<>();
        ledgers.forEach((p, l) -> {
            OffsetAndMetadata c = l.toCommit();
            if (c != null) {
                offsets.put(p, c);
                by.put(p, l);
            }
        });
        if (offsets.isEmpty()) {
            return;
        }
        if (sync) {
            commitSync(offsets);
            offsets.forEach((p, c) -> by.get(p).committed(c));
        } else {
            consumer.commitAsync(fit(offsets), (done, e) -> {
                if (e == null) {
                    done.forEach((p, c) -> by.get(p).committed(c));
                } else if (e instanceof OffsetMetadataTooLarge) {
                    metadataTooLarge(e);
                } else {
                    LOG.debug("Commit for group '{}' failed, retried with the next: {}", groupId, e.toString());
                }
            });
        }
    }

    /**
     * The commit before leaving: what the subscription settled must reach the group, or the next
     * owner hands it out again. Two things refuse a plain {@code commitSync} here. This member's own
     * {@link #stopIntake} {@code wakeup()} may still be pending (it then throws once). And a rebalance
     * may be under way (a member joined and, cooperatively, this one revoked partitions and must
     * rejoin): Kafka refuses commits until a poll completed it. So: partitions paused (a poll fetches
     * nothing for them, and anything it returns is dropped, never offered, so never committed), poll
     * until the group is stable again — its callbacks commit what they revoke — then commit what is
     * still assigned; within {@code callTimeout}.
     */
    private void lastCommit() {
        long deadline = System.nanoTime() + callTimeout.toNanos();
        while (true) {
            try {
                commit(true);
                return;
            } catch (WakeupException | RebalanceInProgressException e) {
                if (System.nanoTime() >= deadline) {
                    throw e;
                }
                if (e instanceof RebalanceInProgressException) {
                    try {
                        consumer.pause(consumer.assignment());
                        consumer.poll(Duration.ofMillis(100));
                    } catch (WakeupException again) {
                        // the second stopIntake (unsubscribe's, then close's): consumed now
                    }
                }
                // else our own stopIntake's wakeup, consumed by the throw: commit again
            }
        }
    }

    /** {@code commitSync} in a rebalance callback, which runs inside a poll: this member's own pending {@code wakeup()} must not make it fail. */
    private void commitInCallback(Map<TopicPartition, OffsetAndMetadata> offsets) {
        for (int tries = 0; ; tries++) {
            try {
                commitSync(offsets);
                return;
            } catch (WakeupException e) {
                // stopIntake woke the poll this callback runs in: the wakeup is consumed now, so commit again
                if (tries >= 2) {
                    throw e;
                }
            }
        }
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> last = new HashMap<>();
        for (TopicPartition p : partitions) {
            PartitionLedger l = ledgers.remove(p);
            if (l != null) {
                l.revoke(revokeWaitMillis);
                if (l.finalCommit() != null) {
                    last.put(p, l.finalCommit());
                }
            }
        }
        if (!last.isEmpty()) {
            try {
                commitInCallback(last);
            } catch (RuntimeException e) {
                LOG.warn("Queue group '{}': commit on rebalance failed ({}); the new owner redelivers from the previous commit",
                        sub.queue(), e.toString());
            }
        }
        LOG.debug("Group '{}' revoked {}", groupId, partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
        for (TopicPartition p : partitions) {
            PartitionLedger l = ledgers.remove(p);
            if (l != null) {
                l.revoke(0);
            }
        }
        LOG.debug("Group '{}' lost {}", groupId, partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        if (!partitions.isEmpty()) {
            Set<TopicPartition> set = new HashSet<>(partitions);
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(set, callTimeout);
            Map<TopicPartition, OffsetAndMetadata> pins = new HashMap<>();
            Map<TopicPartition, Long> times = new HashMap<>();
            for (TopicPartition p : set) {
                if (committed.get(p) == null) {
                    times.put(p, sub.startMillis);
                }
            }
            if (!times.isEmpty()) {
                Map<TopicPartition, Long> start;
                if (durable) {
                    start = consumer.beginningOffsets(times.keySet(), callTimeout);
                } else {
                    start = new HashMap<>(consumer.endOffsets(times.keySet(), callTimeout));
                    Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(times, callTimeout);
                    found.forEach((p, ot) -> {
                        if (ot != null) {
                            start.put(p, ot.offset());
                        }
                    });
                }
                start.forEach((p, offset) -> {
                    consumer.seek(p, offset);
                    pins.put(p, new OffsetAndMetadata(offset, PartitionLedger.DELIVERED + offset));
                });
                try {
                    consumer.commitSync(pins, callTimeout);
                } catch (RuntimeException e) {
                    LOG.debug("Group '{}': could not pin the start of {}: {}", groupId, pins.keySet(), e.toString());
                }
            }
            for (TopicPartition p : set) {
                OffsetAndMetadata c = committed.get(p) != null ? committed.get(p) : pins.get(p);
                ledgers.put(p, new PartitionLedger(p, c));
            }
        }
        LOG.debug("Group '{}' assigned {}", groupId, partitions);
        synchronized (ready) {
            if (firstAssignment < 0) {
                firstAssignment = System.currentTimeMillis();
            }
            owned |= !ledgers.isEmpty();
            ready.notifyAll();
        }
    }

    /** Stops polling; the member stays in the group until {@link #close}. */
    void stopIntake() {
        intake = false;
        consumer.wakeup();
        room.signal();
    }

    /** After the subscription's handlers are done: commits, leaves the group, and waits for it. */
    void close(Duration timeout) {
        stopIntake();
        released.countDown();
        try {
            thread.join(Math.max(1, timeout.toMillis()) + 7_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
