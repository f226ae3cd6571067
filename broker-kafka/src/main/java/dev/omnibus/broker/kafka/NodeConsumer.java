package dev.omnibus.broker.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one consumer of a node's broadcast subscriptions. It joins no consumer group: it assigns
 * itself the partitions its subscriptions need and commits nothing, since a broadcast subscription
 * starts at the end and does not outlive its process. A subscription starts at the partitions' end
 * offsets when it subscribes, so it never replays history; a topic its pattern finds later (every
 * {@code metadataMaxAge}, or at once when this node creates it) is read from the first record
 * published at or after the subscription, so nothing published to it meanwhile is missed. A topic
 * that the subscribe call itself created is read from its first offset without asking the cluster
 * anything (it holds nothing older than the call), so subscribing many new topics costs one
 * topic creation each and no metadata or offset round trips. Records are dispatched through an
 * index of the subscriptions that read each partition, so a record's cost does not grow with the
 * number of subscriptions.
 *
 * <p>All consumer calls happen on its thread; others hand it commands.
 */
final class NodeConsumer implements Runnable {
    static final int MAX_POLL = 500;
    private static final Logger LOG = LoggerFactory.getLogger(NodeConsumer.class);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Duration callTimeout;
    private final long refreshMillis;
    private final BlockingQueue<Runnable> commands = new LinkedBlockingQueue<>();
    private final List<KafkaSubscription> subs = new ArrayList<>();
    private final Set<TopicPartition> assigned = new HashSet<>();
    /** The subscriptions that read each assigned partition, in the order they started to. */
    private final Map<TopicPartition, List<KafkaSubscription>> readers = new HashMap<>();
    private final Room room = new Room();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean refreshSoon;
    private volatile boolean polling;
    private long lastRefresh;
    /** Whether the last loop paused the assigned partitions. */
    private boolean paused;
    /** Whether {@link #assigned} has changed since the consumer was last assigned it. */
    private boolean stale;
    /** Where newly assigned partitions start, applied with the next {@link #syncAssignment()}. */
    private final Map<TopicPartition, Long> seeks = new HashMap<>();

    NodeConsumer(KafkaConsumer<byte[], byte[]> consumer, String nodeId, Duration callTimeout, Duration refresh) {
        this.consumer = consumer;
        this.callTimeout = callTimeout;
        this.refreshMillis = refresh.toMillis();
        this.thread = new Thread(this, "omnibus-kafka-node-" + nodeId);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Adds {@code s}; completes once records published from now on reach it. {@code createdPartitions}:
     * the partitions of its topic if its subscribe call just created it (read from offset 0), else 0.
     */
    CompletableFuture<Void> add(KafkaSubscription s, int createdPartitions) {
        return command(() -> {
            if (s.regex == null && createdPartitions > 0) {
                coverCreated(s, s.topic(), createdPartitions);
            } else if (s.regex == null) {
                coverNew(s, s.topic());
            } else {
                for (String topic : consumer.listTopics(callTimeout).keySet()) {
                    if (s.matches(topic)) {
                        cover(s, topic, null);
                    }
                }
            }
            subs.add(s);
        });
    }

    void remove(KafkaSubscription s) {
        command(() -> {
            subs.remove(s);
            boolean changed = false;
            for (TopicPartition p : s.next.keySet()) {
                List<KafkaSubscription> rs = readers.get(p);
                if (rs != null && rs.remove(s) && rs.isEmpty()) {
                    readers.remove(p);
                    changed |= assigned.remove(p);
                }
            }
            // assigned at the end of the commands waiting now: dropping 10,000 subscriptions is one assign, not 10,000
            stale |= changed;
        });
    }

    /** A handler settled a broadcast delivery: a paused consumer may fetch again. */
    void settled() {
        room.signal();
    }

    /** This node created {@code topic}: pattern subscriptions look for it at once. */
    void topicCreated(String topic) {
        refreshSoon = true;
    }

    private CompletableFuture<Void> command(Runnable r) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        commands.add(() -> {
            try {
                try {
                    r.run();
                } catch (WakeupException e) {
                    // meant for a poll, caught by this command's first call: run it again
                    r.run();
                }
                done.complete(null);
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        });
        if (polling) {
            consumer.wakeup();
        }
        room.signal();
        return done;
    }

    /**
     * {@link #cover} for a topic that exists (it was just created or found): the consumer's metadata
     * may not list its partitions yet, right after its creation, so it asks again until it does, within
     * the call timeout; from the second try on it reads from the subscription's start, so nothing
     * published meanwhile is missed.
     */
    private void coverNew(KafkaSubscription s, String topic) {
        long deadline = System.nanoTime() + callTimeout.toNanos();
        Long since = null;
        while (!cover(s, topic, since)) {
            if (System.nanoTime() > deadline) {
                throw new org.apache.kafka.common.errors.TimeoutException("the metadata of the cluster listed no partitions of topic '"
                        + topic + "' within " + callTimeout);
            }
            if (since == null) {
                LOG.debug("The metadata lists no partitions of topic '{}' yet; asking again", topic);
            }
            since = s.startMillis;
            try {
                Thread.sleep(50); // the metadata of a topic just created reaches the brokers within moments
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new org.apache.kafka.common.errors.InterruptException(e);
            }
        }
    }

    /** Makes {@code s} read every partition of {@code topic}, which its subscribe call created, from offset 0. */
    private void coverCreated(KafkaSubscription s, String topic, int partitions) {
        for (int i = 0; i < partitions; i++) {
            startAt(s, new TopicPartition(topic, i), 0L);
        }
    }

    /**
     * {@code s} reads {@code p} from {@code offset}. A partition new to the consumer is assigned and
     * sought with the other commands waiting now, before the next poll; one it reads already goes
     * back to {@code offset} if an older subscription is past it (the others skip what they had).
     */
    private void startAt(KafkaSubscription s, TopicPartition p, long offset) {
        read(s, p, offset);
        if (assigned.add(p)) {
            seeks.put(p, offset);
            stale = true;
        } else {
            syncAssignment();
            if (consumer.position(p, callTimeout) > offset) {
                consumer.seek(p, offset);
            }
        }
    }

    /** Assigns the consumer {@link #assigned} if it changed, and seeks the new partitions to where they start. */
    private void syncAssignment() {
        if (!stale) {
            return;
        }
        consumer.assign(assigned);
        stale = false;
        seeks.forEach((p, offset) -> {
            if (assigned.contains(p)) {
                consumer.seek(p, offset);
            }
        });
        seeks.clear();
    }

    /** {@code s} reads {@code p} from {@code offset}. */
    private void read(KafkaSubscription s, TopicPartition p, long offset) {
        if (s.next.put(p, offset) == null) {
            readers.computeIfAbsent(p, k -> new ArrayList<>(1)).add(s);
        }
    }

    /**
     * Makes {@code s} read {@code topic}: from the end now, or ({@code sinceMillis}) from the first
     * record at or after it. False when the metadata lists no partitions of it (yet).
     */
    private boolean cover(KafkaSubscription s, String topic, Long sinceMillis) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, callTimeout);
        if (infos == null || infos.isEmpty()) {
            return false;
        }
        List<TopicPartition> parts = new ArrayList<>();
        infos.forEach(i -> parts.add(new TopicPartition(i.topic(), i.partition())));
        Map<TopicPartition, Long> ends = consumer.endOffsets(parts, callTimeout);
        Map<TopicPartition, Long> from = new HashMap<>(ends);
        if (sinceMillis != null) {
            Map<TopicPartition, Long> query = new HashMap<>();
            parts.forEach(p -> query.put(p, sinceMillis));
            Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, callTimeout);
            found.forEach((p, ot) -> {
                if (ot != null) {
                    from.put(p, ot.offset());
                }
            });
        }
        for (TopicPartition p : parts) {
            startAt(s, p, from.get(p));
        }
        return true;
    }

    private void refresh() {
        // cleared before the listing: a topic this node creates meanwhile asks for another refresh
        lastRefresh = System.currentTimeMillis();
        refreshSoon = false;
        boolean patterns = subs.stream().anyMatch(s -> s.regex != null);
        if (!patterns) {
            return;
        }
        Set<String> topics;
        try {
            topics = consumer.listTopics(callTimeout).keySet();
        } catch (WakeupException e) {
            refreshSoon = true; // a command interrupted the listing: the refresh runs again after it
            throw e;
        }
        for (KafkaSubscription s : subs) {
            if (s.regex == null) {
                continue;
            }
            Set<String> covered = new HashSet<>();
            s.next.keySet().forEach(p -> covered.add(p.topic()));
            for (String t : topics) {
                if (!covered.contains(t) && s.matches(t)) {
                    cover(s, t, s.startMillis);
                }
            }
        }
    }

    @Override
    public void run() {
        while (running) {
            try {
                Runnable c;
                while ((c = commands.poll()) != null) {
                    c.run();
                }
                if (refreshSoon || System.currentTimeMillis() - lastRefresh >= refreshMillis) {
                    refresh();
                }
                // before the poll: what the commands and the refresh added is fetched together (one poll, timestamp order)
                syncAssignment();
                if (assigned.isEmpty()) {
                    c = commands.poll(100, TimeUnit.MILLISECONDS);
                    if (c != null) {
                        // run now, not put back behind the commands that came after it (a subscribe and its unsubscribe)
                        c.run();
                    }
                    continue;
                }
                boolean full = saturated();
                if (full) {
                    consumer.pause(assigned);
                    paused = true;
                } else if (paused) {
                    // consumer.paused() builds a set of every assigned partition: asked only after a pause
                    consumer.resume(consumer.paused());
                    paused = false;
                }
                ConsumerRecords<byte[], byte[]> records;
                polling = true;
                try {
                    // paused: a poll only serves the client, then the thread waits for room (or a command)
                    records = commands.isEmpty() ? consumer.poll(full ? Duration.ZERO : Duration.ofMillis(100)) : ConsumerRecords.empty();
                } finally {
                    polling = false;
                }
                if (full && records.isEmpty()) {
                    room.await(() -> !running || !commands.isEmpty() || !saturated(), 100);
                }
                for (ConsumerRecord<byte[], byte[]> r : inTimestampOrder(records)) {
                    dispatch(r);
                }
            } catch (WakeupException e) {
                // a command is waiting
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException e) {
                if (running) {
                    LOG.warn("Broadcast consumer: {}; retrying", e.toString());
                    sleep();
                }
            }
        }
        try {
            consumer.close(Duration.ofSeconds(2));
        } catch (RuntimeException e) {
            LOG.debug("Closing the broadcast consumer: {}", e.toString());
        }
    }

    /**
     * The records of one poll merged across partitions by timestamp, each partition's own order kept:
     * what one publisher sent to several topics (a pattern subscription) arrives in publish order
     * when it arrives in one poll.
     */
    static List<ConsumerRecord<byte[], byte[]>> inTimestampOrder(ConsumerRecords<byte[], byte[]> records) {
        List<List<ConsumerRecord<byte[], byte[]>>> lists = new ArrayList<>();
        for (TopicPartition p : records.partitions()) {
            lists.add(records.records(p));
        }
        if (lists.size() <= 1) {
            return lists.isEmpty() ? List.of() : lists.get(0);
        }
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>(records.count());
        int[] at = new int[lists.size()];
        while (out.size() < records.count()) {
            int best = -1;
            for (int i = 0; i < lists.size(); i++) {
                if (at[i] < lists.get(i).size() && (best < 0
                        || lists.get(i).get(at[i]).timestamp() < lists.get(best).get(at[best]).timestamp())) {
                    best = i;
                }
            }
            out.add(lists.get(best).get(at[best]++));
        }
        return out;
    }

    /** Whether a subscription's buffer is full: one check per subscription, on every loop. */
    private boolean saturated() {
        for (int i = 0, n = subs.size(); i < n; i++) {
            if (subs.get(i).saturated()) {
                return true;
            }
        }
        return false;
    }

    private void dispatch(ConsumerRecord<byte[], byte[]> r) {
        TopicPartition p = new TopicPartition(r.topic(), r.partition());
        List<KafkaSubscription> rs = readers.get(p);
        if (rs == null) {
            return;
        }
        dev.omnibus.broker.Message m = null;
        for (KafkaSubscription s : rs) {
            Long want = s.next.get(p);
            if (want == null || r.offset() < want) {
                continue;
            }
            s.next.put(p, r.offset() + 1);
            if (m == null) {
                m = KafkaWire.message(r);
            }
            s.offer(r.topic(), m, 1, Rec.BROADCAST);
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void close(Duration timeout) {
        running = false;
        consumer.wakeup();
        room.signal();
        try {
            thread.join(Math.max(1, timeout.toMillis()) + 2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
