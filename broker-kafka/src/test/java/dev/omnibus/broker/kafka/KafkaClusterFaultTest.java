package dev.omnibus.broker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerException;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.tck.LocalKafkaCluster;
import dev.omnibus.broker.tck.LocalKafkaServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A 3-node KRaft cluster ({@link LocalKafkaCluster}: replication factor 3, {@code min.insync.replicas}
 * 2) loses a partition leader to {@code kill -9} mid-stream and gets it back later: every message
 * whose publish returned normally arrives at a durable two-member group, duplicates are counted, and
 * no publish blocks longer than {@code publishTimeout}.
 */
@DisplayName("Kafka 3-node cluster faults")
class KafkaClusterFaultTest {
    private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(30);
    private static LocalKafkaCluster cluster;
    private final String run = Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffL, 36);
    private final List<Broker> brokers = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void startCluster() {
        cluster = LocalKafkaCluster.start(3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private Broker connected(String node) {
        Broker b = Brokers.create(BrokerOptions.builder().url(cluster.url()).nodeId(node + "-" + run)
                .connectTimeout(Duration.ofSeconds(10)).publishTimeout(PUBLISH_TIMEOUT).shutdownTimeout(Duration.ofSeconds(5))
                .property("replicationFactor", "3").property("sessionTimeout", "6000").property("heartbeatInterval", "300")
                .property("metadataMaxAge", "1000").build());
        brokers.add(b);
        b.connect();
        return b;
    }

    private Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap()));
    }

    @Test
    @DisplayName("kill -9 of a partition leader under 20 publishers, 10,000 messages to a durable group: nothing returned normally is lost")
    void leaderKilledMidStream() throws Exception {
        String topic = "cluster.leader." + run;
        String queue = "survivors-" + run;
        int threads = 20;
        int perThread = 500;
        int total = threads * perThread;
        List<String> sent = Collections.synchronizedList(new ArrayList<>());
        List<String> received = Collections.synchronizedList(new ArrayList<>());
        Map<String, Boolean> seen = new ConcurrentHashMap<>();
        AtomicInteger retries = new AtomicInteger();
        AtomicLong longestPublish = new AtomicLong();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        SubscribeOptions durable = SubscribeOptions.builder().queue(queue).durable(true).prefetch(200).concurrency(4)
                .bufferSize(total * 2).build();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        LocalKafkaServer victim = null;
        long started = System.nanoTime();
        try {
            for (String m : List.of("m1", "m2")) {
                connected(m).subscribe(topic, e -> {
                    received.add(e.message().id());
                    seen.put(e.message().id(), true);
                }, durable);
            }
            Broker pub1 = connected("pub1");
            Broker pub2 = connected("pub2");
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            List<CompletableFuture<Void>> done = new ArrayList<>();
            for (int th = 0; th < threads; th++) {
                Broker pub = th % 2 == 0 ? pub1 : pub2;
                int thread = th;
                done.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < perThread; i++) {
                        Message m = Message.of(thread + "-" + i);
                        while (true) {
                            long attempt = System.nanoTime();
                            try {
                                pub.publish(topic, m);
                                sent.add(m.id());
                                break;
                            } catch (BrokerException e) {
                                retries.incrementAndGet();
                                if (System.nanoTime() > deadline) {
                                    failures.add(m.id() + ": " + e);
                                    break;
                                }
                            } finally {
                                longestPublish.accumulateAndGet(System.nanoTime() - attempt, Math::max);
                            }
                        }
                    }
                }, pool));
            }
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(20)).until(() -> sent.size() >= total / 3);
            int leader;
            List<Integer> led;
            try (Admin admin = admin()) {
                TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
                leader = d.partitions().get(0).leader().id();
                led = d.partitions().stream().filter(p -> p.leader() != null && p.leader().id() == leader)
                        .map(TopicPartitionInfo::partition).toList();
            }
            victim = cluster.node(leader);
            int sentAtKill = sent.size();
            victim.kill();
            long killedAt = System.nanoTime();
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(20)).until(() -> sent.size() >= 2 * total / 3);
            int sentWhileDown = sent.size() - sentAtKill;
            CompletableFuture<Void> back = CompletableFuture.runAsync(victim::startAgain);
            CompletableFuture.allOf(done.toArray(new CompletableFuture[0])).get(4, TimeUnit.MINUTES);
            back.get(2, TimeUnit.MINUTES);
            long downMillis = (System.nanoTime() - killedAt) / 1_000_000;
            Throwable late = null;
            try {
                await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100)).until(() -> seen.keySet().containsAll(sent));
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                late = e;
            }
            String line = tally(total, sent, received, "node " + leader + " (leader of partitions " + led + ") killed -9 after "
                    + sentAtKill + " sent, " + sentWhileDown + " sent while it was down, restarted and every publisher done " + downMillis + " ms after the kill; publish retries "
                    + retries.get() + ", longest publish " + longestPublish.get() / 1_000_000 + " ms, "
                    + (System.nanoTime() - started) / 1_000_000 + " ms, " + cluster.description());
            assertThat(failures).as("publishes still failing at the deadline").isEmpty();
            assertThat(sent).as("every publish eventually returned").hasSize(total);
            assertThat(Duration.ofNanos(longestPublish.get())).as("no publish blocks longer than publishTimeout: " + line)
                    .isLessThanOrEqualTo(PUBLISH_TIMEOUT.plusSeconds(2));
            List<String> lost = sent.stream().filter(id -> !seen.containsKey(id)).limit(20).collect(Collectors.toList());
            assertThat(lost).as("lost (first 20): " + line + (late == null ? "" : " (gave up waiting)")).isEmpty();
        } finally {
            pool.shutdownNow();
            if (victim != null) {
                victim.startAgain();
            }
            for (Broker b : brokers) {
                b.disconnect();
            }
            try (Admin admin = admin()) {
                // best effort, so that a failure above is the one reported: the topic may not exist
                admin.deleteTopics(List.of(topic)).all().whenComplete((v, e) -> { }).get(30, TimeUnit.SECONDS);
                admin.deleteConsumerGroups(List.of(KafkaNames.queueGroup("omnibus", queue, topic))).all()
                        .whenComplete((v, e) -> { }).get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                System.err.println("cleaning up " + topic + ": " + e.getCause());
            }
        }
    }

    /** The kit's one-line tally: {@code [omnibus-kit] ... | sent N, received N, duplicated N, lost N, ...}. */
    private static String tally(int total, List<String> sent, List<String> received, String extra) {
        Map<String, Integer> counts = new java.util.HashMap<>();
        synchronized (received) {
            received.forEach(id -> counts.merge(id, 1, Integer::sum));
        }
        long lost;
        synchronized (sent) {
            lost = sent.stream().filter(id -> !counts.containsKey(id)).count();
        }
        long duplicated = counts.values().stream().filter(c -> c > 1).mapToLong(c -> c - 1).sum();
        String line = String.format("[omnibus-kit] KafkaClusterFaultTest (kafka) | partition leader kill -9 in a 3-node cluster"
                + " | sent %d, received %d, duplicated %d, lost %d, %s", total, received.size(), duplicated, lost, extra);
        System.out.println(line);
        return line;
    }
}
