package dev.omnibus.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Raw kafka-clients doing what the Kafka backend does, with the settings the backend uses for
 * default options: an idempotent {@code acks=all} producer, {@code linger.ms=0}, the default
 * {@code batch.size}, records keyed by a message id with an {@code id} header; a consumer group
 * (cooperative sticky, manual commits every 200 ms, {@code fetch.max.wait.ms=100}, the same
 * {@code max.poll.records}); and for request/reply a reply topic of one partition read by an
 * assigned consumer, correlation ids in a header.
 */
final class KafkaReferences {
    /** The backend's default partitions per topic. */
    static final int PARTITIONS = 3;

    private KafkaReferences() {
    }

    private static String suffix() {
        return Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffL, 36);
    }

    private static Map<String, Object> common(String bootstrap, String role) {
        Map<String, Object> c = new HashMap<>();
        c.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(CommonClientConfigs.CLIENT_ID_CONFIG, "bench-raw-" + role);
        c.put(CommonClientConfigs.RECONNECT_BACKOFF_MS_CONFIG, 100);
        c.put(CommonClientConfigs.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
        c.put(CommonClientConfigs.METADATA_MAX_AGE_CONFIG, 5000);
        // as the backend's default clientMetrics=jmx: the JMX reporter, no metrics push
        c.put(CommonClientConfigs.ENABLE_METRICS_PUSH_CONFIG, false);
        return c;
    }

    /** As the backend's producer with the default publishTimeout (10 s) and linger (0). */
    static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        Map<String, Object> c = common(bootstrap, "producer");
        c.put(ProducerConfig.ACKS_CONFIG, "all");
        c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        c.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        c.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        c.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000);
        c.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 1024 * 1024);
        c.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        c.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return new KafkaProducer<>(c);
    }

    /** A consumer of manually assigned partitions, as the backend's broadcast consumer; new partitions from their start. */
    static KafkaConsumer<byte[], byte[]> assignedConsumer(String bootstrap, String role) {
        Map<String, Object> c = consumer(bootstrap, role, 500);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return new KafkaConsumer<>(c);
    }

    private static Map<String, Object> consumer(String bootstrap, String role, int maxPollRecords) {
        Map<String, Object> c = common(bootstrap, role);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
        c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return c;
    }

    static Admin admin(String bootstrap) {
        return Admin.create(common(bootstrap, "admin"));
    }

    static void createTopic(String bootstrap, String topic, int partitions) throws Exception {
        try (Admin a = admin(bootstrap)) {
            a.createTopics(List.of(new NewTopic(topic, Optional.of(partitions), Optional.empty()))).all().get(30, TimeUnit.SECONDS);
        }
    }

    /** Deletes the topics and consumer groups whose names contain {@code token} (this run's own). */
    static void deleteContaining(String bootstrap, String token) {
        try (Admin a = admin(bootstrap)) {
            Set<String> topics = a.listTopics().names().get(30, TimeUnit.SECONDS);
            deleteTopics(a, topics.stream().filter(t -> t.contains(token)).toList());
            List<String> groups = a.listConsumerGroups().all().get(30, TimeUnit.SECONDS).stream()
                    .map(g -> g.groupId()).filter(g -> g.contains(token)).toList();
            if (!groups.isEmpty()) {
                a.deleteConsumerGroups(groups).all().get(30, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            System.err.println("could not delete the bench's Kafka topics and groups (" + token + "): " + e);
        }
    }

    /** Deletes {@code topics}, 500 a request; a failure is reported, not thrown (it would hide the run's result or error). */
    static void deleteTopics(Admin admin, List<String> topics) {
        for (int i = 0; i < topics.size(); i += 500) {
            List<String> batch = topics.subList(i, Math.min(topics.size(), i + 500));
            try {
                admin.deleteTopics(batch).all().get(120, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                System.err.println("bench: could not delete " + batch.size() + " Kafka topics (" + batch.get(0) + " ...): " + e);
            }
        }
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, byte[] body) {
        String id = dev.omnibus.broker.Message.newId();
        RecordHeaders h = new RecordHeaders();
        h.add("id", id.getBytes(StandardCharsets.UTF_8));
        return new ProducerRecord<>(topic, null, id.getBytes(StandardCharsets.UTF_8), body, h);
    }

    /** Publish (a window of unacknowledged sends, or each awaited) → one member of a consumer group. */
    static final class PubSub implements Workload {
        private final String bootstrap;
        private final int window;
        private final int maxPollRecords;
        private final String topic;
        private final String group;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private KafkaProducer<byte[], byte[]> producer;
        private Thread poller;
        private volatile Probe probe;
        private int bodySize;

        /** @param window 0: wait for each acknowledgement; else at most this many outstanding */
        PubSub(String bootstrap, String token, int window, int maxPollRecords) {
            this.bootstrap = bootstrap;
            this.window = window;
            this.maxPollRecords = maxPollRecords;
            this.topic = "bench.raw." + token + "." + suffix();
            this.group = "bench-raw-" + token + "-" + suffix();
        }

        @Override
        public String name() {
            return "raw kafka-clients";
        }

        @Override
        public void setUp(int bodySize) throws Exception {
            this.bodySize = bodySize;
            createTopic(bootstrap, topic, PARTITIONS);
            producer = producer(bootstrap);
            Map<String, Object> c = consumer(bootstrap, "group", maxPollRecords);
            c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
            c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            c.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
            c.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
            c.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1_000);
            KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c);
            consumer.subscribe(List.of(topic));
            java.util.concurrent.CountDownLatch assigned = new java.util.concurrent.CountDownLatch(1);
            poller = new Thread(() -> poll(consumer, assigned), "bench-raw-kafka-poll");
            poller.setDaemon(true);
            poller.start();
            if (!assigned.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the raw consumer got no partitions of " + topic + " within 60 s");
            }
        }

        private void poll(KafkaConsumer<byte[], byte[]> consumer, java.util.concurrent.CountDownLatch assigned) {
            Map<TopicPartition, OffsetAndMetadata> pending = new HashMap<>();
            long lastCommit = System.nanoTime();
            try (consumer) {
                while (running.get()) {
                    var records = consumer.poll(Duration.ofMillis(100));
                    if (!consumer.assignment().isEmpty()) {
                        assigned.countDown();
                    }
                    for (ConsumerRecord<byte[], byte[]> r : records) {
                        probe.delivered(r.value());
                        pending.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                    }
                    if (!pending.isEmpty() && System.nanoTime() - lastCommit > TimeUnit.MILLISECONDS.toNanos(200)) {
                        consumer.commitAsync(new HashMap<>(pending), null);
                        pending.clear();
                        lastCommit = System.nanoTime();
                    }
                }
            }
        }

        @Override
        public void run(int count, Probe probe) throws Exception {
            this.probe = probe;
            if (window == 0) {
                for (int i = 0; i < count; i++) {
                    producer.send(record(topic, Probe.stampedBody(bodySize))).get(10, TimeUnit.SECONDS);
                }
                return;
            }
            Semaphore permits = new Semaphore(window);
            for (int i = 0; i < count; i++) {
                permits.acquire();
                producer.send(record(topic, Probe.stampedBody(bodySize)), (md, e) -> permits.release());
            }
            permits.acquire(window);
            permits.release(window);
        }

        @Override
        public void close() throws Exception {
            running.set(false);
            if (poller != null) {
                poller.join(10_000);
            }
            if (producer != null) {
                producer.close(Duration.ofSeconds(5));
            }
        }
    }

    /** Sequential round trips: a request topic read by an echoing consumer, replies on a one-partition reply topic. */
    static final class RequestReply implements Workload {
        private final String bootstrap;
        private final String topic;
        private final String replyTopic;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Map<String, java.util.concurrent.CompletableFuture<byte[]>> pending = new java.util.concurrent.ConcurrentHashMap<>();
        private KafkaProducer<byte[], byte[]> producer;
        private Thread server;
        private Thread client;
        private int bodySize;

        RequestReply(String bootstrap, String token) {
            this.bootstrap = bootstrap;
            String s = suffix();
            this.topic = "bench.rawrpc." + token + "." + s;
            this.replyTopic = "bench.rawreply." + token + "." + s;
        }

        @Override
        public String name() {
            return "raw kafka-clients";
        }

        @Override
        public void setUp(int bodySize) throws Exception {
            this.bodySize = bodySize;
            createTopic(bootstrap, topic, PARTITIONS);
            createTopic(bootstrap, replyTopic, 1);
            producer = producer(bootstrap);
            java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(2);
            server = loop("bench-raw-kafka-rpc-server", topic, ready, r -> {
                String replyTo = header(r, "reply-to");
                String correlation = header(r, "correlation-id");
                RecordHeaders h = new RecordHeaders();
                h.add("correlation-id", correlation.getBytes(StandardCharsets.UTF_8));
                producer.send(new ProducerRecord<>(replyTo, null, r.key(), r.value(), h));
            });
            client = loop("bench-raw-kafka-rpc-client", replyTopic, ready, r -> {
                var f = pending.remove(header(r, "correlation-id"));
                if (f != null) {
                    f.complete(r.value());
                }
            });
            if (!ready.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the raw request/reply consumers did not start within 60 s");
            }
        }

        private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
            var h = r.headers().lastHeader(name);
            return h == null ? "" : new String(h.value(), StandardCharsets.UTF_8);
        }

        /** A consumer of every partition of {@code t} from its end, as the backend's node and reply consumers. */
        private Thread loop(String name, String t, java.util.concurrent.CountDownLatch ready,
                java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> each) {
            Thread th = new Thread(() -> {
                Map<String, Object> c = consumer(bootstrap, name, 500);
                c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
                try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
                    List<TopicPartition> parts = consumer.partitionsFor(t, Duration.ofSeconds(30)).stream()
                            .map(p -> new TopicPartition(t, p.partition())).toList();
                    consumer.assign(parts);
                    consumer.seekToEnd(parts);
                    parts.forEach(consumer::position);
                    ready.countDown();
                    while (running.get()) {
                        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                            each.accept(r);
                        }
                    }
                }
            }, name);
            th.setDaemon(true);
            th.start();
            return th;
        }

        @Override
        public void run(int count, Probe probe) throws Exception {
            for (int i = 0; i < count; i++) {
                String correlation = dev.omnibus.broker.Message.newId();
                var reply = new java.util.concurrent.CompletableFuture<byte[]>();
                pending.put(correlation, reply);
                ProducerRecord<byte[], byte[]> r = record(topic, Probe.stampedBody(bodySize));
                r.headers().add("reply-to", replyTopic.getBytes(StandardCharsets.UTF_8));
                r.headers().add("correlation-id", correlation.getBytes(StandardCharsets.UTF_8));
                producer.send(r);
                probe.delivered(reply.get(10, TimeUnit.SECONDS));
            }
        }

        @Override
        public void close() throws Exception {
            running.set(false);
            for (Thread t : new Thread[] {server, client}) {
                if (t != null) {
                    t.join(10_000);
                }
            }
            if (producer != null) {
                producer.close(Duration.ofSeconds(5));
            }
        }
    }
}
