package dev.omnibus.bench.jmh;

import dev.omnibus.broker.Topics;
import dev.omnibus.broker.support.TopicIndex;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of finding the subscriptions of a published topic with 1 or 1,000 subscriptions of mixed
 * patterns (exact, {@code *}, {@code >}), through the cached trie every backend's dispatch uses,
 * beside a linear scan with {@link Topics#matches}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TopicMatchBenchmark {
    @Param({"1", "1000"})
    int subscriptions;

    private final TopicIndex<Integer> index = new TopicIndex<>();
    private String[] patterns;
    private String[] topics;
    private int next;

    @Setup
    public void setUp() {
        Random random = new Random(42);
        patterns = new String[subscriptions];
        for (int i = 0; i < subscriptions; i++) {
            String service = "svc" + (i % 50);
            switch (i % 4) {
                case 0: patterns[i] = "orders." + service + ".created"; break;
                case 1: patterns[i] = "orders." + service + ".*"; break;
                case 2: patterns[i] = "orders.*.e" + (i % 97); break;
                default: patterns[i] = "audit." + service + ".>"; break;
            }
            index.add(patterns[i], i);
        }
        topics = new String[256];
        for (int i = 0; i < topics.length; i++) {
            topics[i] = (random.nextBoolean() ? "orders." : "audit.") + "svc" + random.nextInt(60) + ".created";
        }
    }

    @Benchmark
    public int indexMatch() {
        return index.match(topics[next++ & 255]).size();
    }

    @Benchmark
    public int linearScan() {
        String topic = topics[next++ & 255];
        int n = 0;
        for (String p : patterns) {
            if (Topics.matches(p, topic)) {
                n++;
            }
        }
        return n;
    }
}
