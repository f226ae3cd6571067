package dev.omnibus.broker.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerException;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.stream.Collectors;

/**
 * Kit behaviour 45, for a backend whose durable groups are replicated over a cluster: 20 publishers
 * send 10,000 messages into a durable two-member group; once a third is sent the node that leads the
 * group's queue (or stream) is killed ({@code kill -9}), once two thirds are sent it is started again.
 * Every message whose publish returned normally must arrive (duplicates counted, allowed); no publish
 * may block longer than {@code publishTimeout} (plus a margin); a publish that fails is counted and
 * sent again after a 50 ms pause; broadcast subscriptions on clients pinned to the surviving nodes
 * keep receiving. Prints the kit's one-line tally.
 *
 * <p>The backend test supplies the cluster through {@link Cluster}: clients on every node (the
 * address list), clients pinned to one node, which node leads the group, kill and start again.
 */
public final class ReplicatedGroupFailover {
    /** What the scenario needs from the backend's cluster fixture. Nodes are numbered from 1. */
    public interface Cluster {
        int size();

        /** A connected broker given every node's address. */
        Broker client(String nodeId);

        /** A connected broker given only node {@code node}'s address. */
        Broker pinnedClient(String nodeId, int node);

        /** The node leading the replicated queue or stream of the group (after the first message arrived). */
        int leader();

        /** {@code kill -9} of node {@code node}. */
        void kill(int node);

        /** Starts node {@code node} again; returns once it serves (and has rejoined) the cluster. */
        void startAgain(int node);

        /** Names node {@code node} in the report. */
        String describe(int node);
    }

    /** The outcome, also printed as the tally line. */
    public record Result(String line, int sent, int received, long duplicated, int lost, int failedPublishes,
            String firstFailure, long longestPublishMillis, long failoverMillis, List<String> receivedIds) {
    }

    private final String label;
    private final Cluster cluster;
    private final Duration publishTimeout;
    private final int threads;
    private final int total;
    private Duration awaitMissing = Duration.ofMinutes(2);
    private boolean noLoss = true;
    private Duration downAtMost;

    public ReplicatedGroupFailover(String label, Cluster cluster, Duration publishTimeout, int threads, int total) {
        this.label = label;
        this.cluster = cluster;
        this.publishTimeout = publishTimeout;
        this.threads = threads;
        this.total = total - total % threads;
    }

    /** How long to wait for messages not yet received before tallying them as lost (default 2 minutes). */
    public ReplicatedGroupFailover awaitingMissing(Duration d) {
        this.awaitMissing = d;
        return this;
    }

    /**
     * Starts the killed node again after {@code d} at the latest, even if two thirds are not sent by
     * then (a backend that fails publishes while the node is down, rather than failing over).
     */
    public ReplicatedGroupFailover restartingAfter(Duration d) {
        this.downAtMost = d;
        return this;
    }

    /**
     * Only tallies what was lost instead of failing on it (a backend or queue type that does not
     * replicate, run to show what it loses); the group's messages keep arriving in
     * {@link Result#receivedIds()} after {@link #run} returns.
     */
    public ReplicatedGroupFailover reportingLoss() {
        this.noLoss = false;
        return this;
    }

    /** Runs the scenario on {@code topic} with group {@code group}; asserts, and returns the tally. */
    public Result run(String topic, String group) throws Exception {
        int perThread = total / threads;
        SubscribeOptions durable = SubscribeOptions.builder().queue(group).durable(true).prefetch(200).concurrency(4)
                .bufferSize(total * 2).build();
        Map<String, Integer> counts = new ConcurrentHashMap<>();
        List<String> received = Collections.synchronizedList(new ArrayList<>());
        AtomicLong firstAfterKill = new AtomicLong();
        AtomicLong killedAt = new AtomicLong();
        dev.omnibus.broker.Handler record = e -> {
            received.add(e.message().id());
            counts.merge(e.message().id(), 1, Integer::sum);
            if (firstAfterKill.get() == 0 && e.message().header("after-kill") != null) {
                firstAfterKill.compareAndSet(0, System.nanoTime());
            }
        };
        cluster.client("m1").subscribe(topic, record, durable);
        cluster.client("m2").subscribe(topic, record, durable);
        Broker pub1 = cluster.client("pub1");
        Broker pub2 = cluster.client("pub2");
        Message probe = Message.of("probe");
        pub1.publish(topic, probe);
        await().atMost(Duration.ofSeconds(60)).until(() -> counts.containsKey(probe.id()));
        int leader = cluster.leader();
        String leaderName = cluster.describe(leader);
        IntFunction<Inbox> survivorInbox = node -> {
            Inbox inbox = new Inbox();
            cluster.pinnedClient("b" + node, node).subscribe(topic, inbox);
            return inbox;
        };
        Map<Integer, Inbox> broadcast = new java.util.TreeMap<>();
        for (int node = 1; node <= cluster.size(); node++) {
            if (node != leader) {
                broadcast.put(node, survivorInbox.apply(node));
            }
        }
        List<String> sent = Collections.synchronizedList(new ArrayList<>());
        List<String> sentAfterBroadcast = sent;
        AtomicInteger retries = new AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<String> firstFailure = new java.util.concurrent.atomic.AtomicReference<>();
        AtomicLong longest = new AtomicLong();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        long started = System.nanoTime();
        CompletableFuture<Void> comeback = null;
        try {
            List<CompletableFuture<Void>> done = new ArrayList<>();
            for (int th = 0; th < threads; th++) {
                Broker pub = th % 2 == 0 ? pub1 : pub2;
                int thread = th;
                done.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < perThread; i++) {
                        Message.Builder b = Message.builder().body(thread + "-" + i);
                        if (killedAt.get() != 0) {
                            b.header("after-kill", "true");
                        }
                        Message m = b.build();
                        while (true) {
                            long attempt = System.nanoTime();
                            try {
                                pub.publish(topic, m);
                                sent.add(m.id());
                                longest.accumulateAndGet(System.nanoTime() - attempt, Math::max);
                                break;
                            } catch (BrokerException e) {
                                longest.accumulateAndGet(System.nanoTime() - attempt, Math::max);
                                retries.incrementAndGet();
                                firstFailure.compareAndSet(null, e.toString());
                                if (System.nanoTime() > deadline) {
                                    failures.add(m.id() + ": " + e);
                                    break;
                                }
                                // back off before sending it again, as an application would after a failed publish
                                try {
                                    Thread.sleep(50);
                                } catch (InterruptedException ie) {
                                    Thread.currentThread().interrupt();
                                    break;
                                }
                            }
                        }
                    }
                }, pool));
            }
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(10)).until(() -> sent.size() >= total / 3);
            killedAt.set(System.nanoTime());
            cluster.kill(leader);
            long killed = killedAt.get();
            long restartBy = downAtMost == null ? Long.MAX_VALUE : killed + downAtMost.toNanos();
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(10))
                    .until(() -> sent.size() >= 2 * total / 3 || sent.size() + failures.size() >= total
                            || System.nanoTime() >= restartBy);
            comeback = CompletableFuture.runAsync(() -> cluster.startAgain(leader));
            CompletableFuture.allOf(done.toArray(new CompletableFuture[0])).get(6, TimeUnit.MINUTES);
            comeback.get(3, TimeUnit.MINUTES);
            Throwable late = catchThrowable(() -> await().atMost(awaitMissing).pollInterval(Duration.ofMillis(100))
                    .until(() -> counts.keySet().containsAll(sent)));
            for (Inbox inbox : broadcast.values()) {
                catchThrowable(() -> await().atMost(awaitMissing).pollInterval(Duration.ofMillis(100))
                        .until(() -> inbox.ids().containsAll(sentAfterBroadcast)));
            }
            KitGroup.awaitQuiet(received::size, Duration.ofSeconds(2), Duration.ofSeconds(30));
            long failover = firstAfterKill.get() == 0 ? -1 : (firstAfterKill.get() - killed) / 1_000_000;
            String survivors = broadcast.entrySet().stream().map(e -> "node " + e.getKey() + " lost "
                    + sentAfterBroadcast.stream().filter(id -> !e.getValue().ids().contains(id)).count())
                    .collect(Collectors.joining(", "));
            String line = KitReport.tally(label, "leader of the durable group killed (kill -9) mid-stream and started again"
                    + " (behaviour 45)", total, sent, received, "leader " + leaderName + ", first group delivery " + failover
                    + " ms after the kill, longest publish " + longest.get() / 1_000_000 + " ms (publishTimeout "
                    + publishTimeout.toMillis() + " ms), failed publishes " + retries.get() + " (each sent again), broadcast on survivors: "
                    + survivors + ", " + (System.nanoTime() - started) / 1_000_000 + " ms");
            List<String> lost = sent.stream().filter(id -> !counts.containsKey(id)).collect(Collectors.toList());
            long duplicated = counts.values().stream().filter(c -> c > 1).mapToLong(c -> c - 1).sum();
            Result result = new Result(line, total, received.size(), duplicated, lost.size(), retries.get(), firstFailure.get(),
                    longest.get() / 1_000_000, failover, received);
            assertThat(failures).as("publishes still failing at the deadline: " + line).isEmpty();
            if (!noLoss) {
                return result;
            }
            assertThat(lost).as("confirmed but lost: " + line + (late == null ? "" : " (gave up waiting)")).isEmpty();
            assertThat(longest.get()).as("a publish blocked longer than publishTimeout + 5 s: " + line)
                    .isLessThanOrEqualTo(publishTimeout.plusSeconds(5).toNanos());
            for (Map.Entry<Integer, Inbox> e : broadcast.entrySet()) {
                java.util.Set<String> got = new java.util.HashSet<>(e.getValue().ids());
                assertThat(sentAfterBroadcast.stream().filter(id -> !got.contains(id)).count())
                        .as("messages missed by the broadcast subscription on surviving node " + e.getKey() + ": " + line).isZero();
            }
            return result;
        } finally {
            pool.shutdownNow();
            if (comeback == null) {
                catchThrowable(() -> cluster.startAgain(leader));
            }
        }
    }
}
