package dev.omnibus.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * The reference for {@link ManySubscriptions} on Kafka: kafka-clients alone, one producer and one
 * consumer of assigned partitions (as the backend's broadcast consumer), {@code count} topics of one
 * partition. Reports what the clients themselves cost with {@code count} topics live: threads,
 * heap per topic, topics created per second (500 a request, which the backend's one-at-a-time
 * subscribe cannot do), and the p99 of a probe topic with only it assigned, with all
 * {@code count} assigned (each sent one record first, so that the clients' per-topic state exists),
 * and with only it again. Deletes its topics at the end.
 */
final class RawKafkaManyTopics {
    private final String bootstrap;
    private final int count;
    private final int probes;
    private final AtomicReference<CountDownLatch> arrived = new AtomicReference<>();
    private final AtomicInteger others = new AtomicInteger();
    private volatile long deliveredAt;
    private volatile Set<TopicPartition> wanted;
    private volatile boolean running = true;

    RawKafkaManyTopics(String bootstrap, int count, int probes) {
        this.bootstrap = bootstrap;
        this.count = count;
        this.probes = probes;
    }

    ManySubscriptions.Row run() throws Exception {
        String token = "rawsubs" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
        String probeTopic = token + ".probe";
        List<String> topics = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            topics.add(token + ".t" + i);
        }
        try (Admin admin = KafkaReferences.admin(bootstrap)) {
            create(admin, List.of(probeTopic));
            int threadsBefore = ManySubscriptions.settledThreads();
            Set<Thread> existing = Thread.getAllStackTraces().keySet();
            TopicPartition probe = new TopicPartition(probeTopic, 0);
            wanted = Set.of(probe);
            try (KafkaProducer<byte[], byte[]> producer = KafkaReferences.producer(bootstrap)) {
                Thread poller = new Thread(this::poll, "bench-raw-kafka-poller");
                poller.start();
                try {
                    ManySubscriptions.Measure measure = n -> ManySubscriptions.p99(n, probeTopic, arrived,
                            () -> send(producer, probeTopic), () -> deliveredAt);
                    measure.p99(probes); // warm-up
                    double p99One = ManySubscriptions.medianP99(probes, measure);
                    long heapBefore = ManySubscriptions.heapAfterGc();
                    long start = System.nanoTime();
                    for (int i = 0; i < topics.size(); i += 500) {
                        create(admin, topics.subList(i, Math.min(topics.size(), i + 500)));
                    }
                    Set<TopicPartition> all = new HashSet<>();
                    all.add(probe);
                    topics.forEach(t -> all.add(new TopicPartition(t, 0)));
                    wanted = all;
                    double seconds = (System.nanoTime() - start) / 1e9;
                    sendOneEach(producer, topics);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                    while (others.get() < count && System.nanoTime() < deadline) {
                        TimeUnit.MILLISECONDS.sleep(10);
                    }
                    if (others.get() < count) {
                        throw new IllegalStateException("raw kafka-clients: only " + others.get() + " of " + count + " topics' records arrived");
                    }
                    int threadsAdded = ManySubscriptions.settledThreads() - threadsBefore;
                    String kinds = ManySubscriptions.kinds(existing, token);
                    double heapPer = (ManySubscriptions.heapAfterGc() - heapBefore) / (double) count;
                    measure.p99(probes);
                    double p99Many = ManySubscriptions.medianP99(probes, measure);
                    wanted = Set.of(probe);
                    double p99OneAgain = ManySubscriptions.medianP99(probes, measure);
                    return new ManySubscriptions.Row("raw kafka", count, threadsAdded, heapPer, count / seconds, p99One, p99Many,
                            p99OneAgain, kinds);
                } finally {
                    running = false;
                    poller.join(10_000);
                }
            } finally {
                delete(admin, topics, probeTopic);
            }
        }
    }

    /**
     * One record to each topic; a topic just created may be unknown to the producer's metadata for a
     * moment, so the records whose send failed are sent again, until one deadline ten minutes after the first send.
     */
    private static void sendOneEach(KafkaProducer<byte[], byte[]> producer, List<String> topics) throws InterruptedException {
        List<String> left = topics;
        // one deadline for every send and wait: a send blocks up to max.block.ms (10 s) for a topic's metadata
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (!left.isEmpty()) {
            List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
            for (String t : left) {
                if (System.nanoTime() > deadline) {
                    break;
                }
                sent.add(producer.send(new ProducerRecord<>(t, "x".getBytes())));
            }
            List<String> failed = new ArrayList<>(left.subList(sent.size(), left.size()));
            for (int i = 0; i < sent.size(); i++) {
                try {
                    sent.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    failed.add(left.get(i));
                }
            }
            if (!failed.isEmpty() && System.nanoTime() > deadline) {
                throw new IllegalStateException("raw kafka-clients: " + failed.size() + " of " + topics.size()
                        + " sends still failed after 10 minutes");
            }
            left = failed;
        }
    }

    private static void delete(Admin admin, List<String> topics, String probeTopic) {
        List<String> mine = new ArrayList<>(topics);
        mine.add(probeTopic);
        KafkaReferences.deleteTopics(admin, mine);
    }

    private static void create(Admin admin, List<String> topics) throws Exception {
        List<NewTopic> news = new ArrayList<>();
        topics.forEach(t -> news.add(new NewTopic(t, Optional.of(1), Optional.empty())));
        admin.createTopics(news).all().get(120, TimeUnit.SECONDS);
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic) {
        try {
            producer.send(new ProducerRecord<>(topic, "p".getBytes())).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("probe send: " + e, e);
        }
    }

    /** The consumer's thread: assigns what {@link #wanted} says and records arrivals. */
    private void poll() {
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaReferences.assignedConsumer(bootstrap, "many-topics")) {
            Set<TopicPartition> assigned = Set.of();
            while (running) {
                Set<TopicPartition> w = wanted;
                if (w != assigned) {
                    consumer.assign(w);
                    assigned = w;
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    if (r.topic().endsWith(".probe")) {
                        deliveredAt = System.nanoTime();
                        CountDownLatch l = arrived.get();
                        if (l != null) {
                            l.countDown();
                        }
                    } else {
                        others.incrementAndGet();
                    }
                }
            }
        }
    }
}
