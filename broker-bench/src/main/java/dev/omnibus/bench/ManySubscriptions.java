package dev.omnibus.bench;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.Subscription;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * What a subscription costs when there are many: subscribes {@code count} distinct topics on one
 * broker and reports the live threads the broker added (connection, client and handler threads,
 * counted from before it connected), the heap per subscription (after GC), the
 * subscribe rate, and the publish→deliver p99 of one probe subscription with only it live, with
 * all {@code count} live, and with only it live again after they are gone (each p99 the median of
 * five blocks, so that the two "only it" values show the machine's noise). Unsubscribes everything and disconnects at the end (non-durable
 * subscriptions: RabbitMQ's bindings go with them, core NATS and memory keep nothing; Kafka's topics stay, for
 * the {@code cleanUp} given to delete).
 *
 * <p>Targets (issue #22): threads ≤ 2 × cores + a constant, heap ≤ 4 KiB per subscription,
 * p99 with {@code count} ≤ 2 × p99 with one (the mean of the two "only it" values).
 */
final class ManySubscriptions {
    /** The threads a connected broker has whatever its subscriptions: its client's I/O and timers, the pool's watchdog. */
    static final int CONSTANT_THREADS = 10;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    /** One backend's row. */
    record Row(String backend, int subscriptions, int threadsAdded, double heapBytesPerSubscription, double subscribesPerSecond,
            double p99OneMicros, double p99ManyMicros, double p99OneAgainMicros, String threadKinds) {
        boolean threadsMet() {
            return threadsAdded <= 2 * Runtime.getRuntime().availableProcessors() + CONSTANT_THREADS;
        }

        boolean heapMet() {
            return heapBytesPerSubscription <= 4096;
        }

        boolean latencyMet() {
            return p99ManyMicros <= 2 * (p99OneMicros + p99OneAgainMicros) / 2;
        }
    }

    private final String backend;
    private final String url;
    private final int count;
    private final int probes;
    private final Consumer<String> cleanUp;

    /**
     * @param cleanUp called once the broker disconnected, with the token every topic and node id of
     *     the run contains: deletes what the backend keeps at the server after unsubscribing (Kafka's topics and groups)
     */
    ManySubscriptions(String backend, String url, int count, int probes, Consumer<String> cleanUp) {
        this.backend = backend;
        this.url = url;
        this.count = count;
        this.probes = probes;
        this.cleanUp = cleanUp;
    }

    Row run() throws Exception {
        String token = Long.toString(System.nanoTime() % 1_000_000_000L, 36);
        String prefix = "bench.subs." + token;
        int threadsBefore = settledThreads();
        Set<Thread> existing = Thread.getAllStackTraces().keySet();
        Broker b = Brokers.create(BrokerOptions.builder().url(url).nodeId("subs-" + token).build());
        b.connect();
        List<Subscription> subs = new ArrayList<>(count);
        try {
            Probe probe = new Probe(b, prefix + ".probe");
            probe.measure(probes); // warm-up
            double p99One = probe.median(probes);
            long heapBefore = heapAfterGc();
            AtomicInteger received = new AtomicInteger();
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                subs.add(b.subscribe(prefix + ".t" + i, e -> received.incrementAndGet()));
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            // one message to every topic: each subscription has delivered once, so its lazy parts exist
            for (int i = 0; i < count; i++) {
                b.publish(prefix + ".t" + i, Message.of("x"));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (received.get() < count && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(10);
            }
            if (received.get() < count) {
                throw new IllegalStateException(backend + ": only " + received.get() + " of " + count + " subscriptions got their message");
            }
            int threadsAdded = settledThreads() - threadsBefore;
            String kinds = kinds(existing, token);
            double heapPer = (heapAfterGc() - heapBefore) / (double) count;
            probe.measure(probes);
            double p99Many = probe.median(probes);
            for (Subscription s : subs) {
                s.unsubscribe();
            }
            subs.clear();
            double p99OneAgain = probe.median(probes);
            probe.close();
            return new Row(backend, count, threadsAdded, heapPer, count / seconds, p99One, p99Many, p99OneAgain, kinds);
        } finally {
            for (Subscription s : subs) {
                s.unsubscribe();
            }
            b.disconnect();
            cleanUp.accept(token);
        }
    }

    /** The threads not in {@code existing}, by name with digits and the run's token collapsed: "omnibus-handler-memory-subs-#-# x4". */
    static String kinds(Set<Thread> existing, String token) {
        Map<String, Integer> byKind = new TreeMap<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (!existing.contains(t) && t.isAlive()) {
                byKind.merge(t.getName().replace(token, "<run>").replaceAll("[0-9]+", "#"), 1, Integer::sum);
            }
        }
        StringBuilder b = new StringBuilder();
        byKind.forEach((k, n) -> b.append(b.length() == 0 ? "" : ", ").append(k).append(n > 1 ? " x" + n : ""));
        return b.toString();
    }

    /** Thread count once threads that are starting or ending have settled (two equal readings 200 ms apart, within 5 s). */
    static int settledThreads() throws InterruptedException {
        int last = THREADS.getThreadCount();
        for (int i = 0; i < 25; i++) {
            TimeUnit.MILLISECONDS.sleep(200);
            int now = THREADS.getThreadCount();
            if (now == last) {
                return now;
            }
            last = now;
        }
        return last;
    }

    static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            TimeUnit.MILLISECONDS.sleep(100);
        }
        return MEMORY.getHeapMemoryUsage().getUsed();
    }

    /** Publishes one message at a time to a subscription of its own and records how long each took to arrive. */
    private static final class Probe {
        private final Broker broker;
        private final String topic;
        private final Subscription sub;
        private final AtomicReference<CountDownLatch> arrived = new AtomicReference<>();
        private volatile long deliveredAt;

        Probe(Broker broker, String topic) {
            this.broker = broker;
            this.topic = topic;
            this.sub = broker.subscribe(topic, e -> {
                deliveredAt = System.nanoTime();
                CountDownLatch l = arrived.get();
                if (l != null) {
                    l.countDown();
                }
            });
        }

        double median(int n) throws InterruptedException {
            return medianP99(n, this::measure);
        }

        double measure(int n) throws InterruptedException {
            return p99(n, topic, arrived, () -> broker.publish(topic, Message.of("p")), () -> deliveredAt);
        }

        void close() {
            sub.unsubscribe();
        }
    }

    /** Measures the p99 of {@code n} sends. */
    interface Measure {
        double p99(int n) throws InterruptedException;
    }

    /** The median of five p99s of {@code n} / 5 publish→deliver times each, in µs: one stall of a shared machine moves it less. */
    static double medianP99(int n, Measure m) throws InterruptedException {
        double[] p99s = new double[5];
        for (int i = 0; i < p99s.length; i++) {
            p99s[i] = m.p99(Math.max(100, n / 5));
        }
        Arrays.sort(p99s);
        return p99s[2];
    }

    /**
     * The p99 of {@code n} sends, in µs, each from {@code send} until the receiver counts down the
     * latch it finds in {@code arrived}, having written its arrival time where {@code deliveredAt} reads it.
     */
    static double p99(int n, String topic, AtomicReference<CountDownLatch> arrived, Runnable send,
            java.util.function.LongSupplier deliveredAt) throws InterruptedException {
        long[] micros = new long[n];
        for (int i = 0; i < n; i++) {
            CountDownLatch l = new CountDownLatch(1);
            arrived.set(l);
            long sent = System.nanoTime();
            send.run();
            if (!l.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("probe message " + i + " on '" + topic + "' did not arrive within 10 s");
            }
            micros[i] = TimeUnit.NANOSECONDS.toMicros(deliveredAt.getAsLong() - sent);
        }
        Arrays.sort(micros);
        return micros[Math.min(n - 1, (int) Math.ceil(n * 0.99) - 1)];
    }

    static void print(List<Row> rows, PrintStream out) {
        int cores = Runtime.getRuntime().availableProcessors();
        out.printf(Locale.ROOT, "%nMany subscriptions (distinct topics, one broker; %d cores; targets: threads <= %d + %d, heap <= 4096 B/sub,"
                + " p99 many <= 2 x p99 one)%n", cores, 2 * cores, CONSTANT_THREADS);
        out.printf(Locale.ROOT, "%-10s %8s %10s %12s %12s %12s %12s %12s  %s%n", "backend", "subs", "threads+", "heap B/sub",
                "subscribe/s", "p99 1 (us)", "p99 N (us)", "p99 1 again", "met");
        for (Row r : rows) {
            out.printf(Locale.ROOT, "%-10s %8d %10d %12.0f %12.0f %12.0f %12.0f %12.0f  %s%n", r.backend(), r.subscriptions(), r.threadsAdded(),
                    r.heapBytesPerSubscription(), r.subscribesPerSecond(), r.p99OneMicros(), r.p99ManyMicros(), r.p99OneAgainMicros(),
                    r.threadsAdded() < 0 ? "failed" : (r.threadsMet() ? "threads " : "THREADS ") + (r.heapMet() ? "heap " : "HEAP ")
                            + (r.latencyMet() ? "p99" : "P99"));
        }
        for (Row r : rows) {
            String kinds = r.threadKinds();
            out.printf(Locale.ROOT, "threads added, %s: %s%n", r.backend(), kinds.length() > 600 ? kinds.substring(0, 600) + " ..." : kinds);
        }
    }
}
