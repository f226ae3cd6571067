package dev.omnibus.bench.jmh;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.OverflowPolicy;
import dev.omnibus.broker.SubscribeOptions;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The memory broker's publish path with 1 or 1,000 subscriptions on other topics plus one
 * matching subscription (drop-newest buffer, so the publisher never waits for the consumer).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MemoryPublishBenchmark {
    @Param({"1", "1000"})
    int subscriptions;

    private Broker broker;
    private final Message message = Message.of(new byte[128]);

    @Setup(Level.Trial)
    public void setUp() {
        broker = Brokers.create("memory:");
        broker.connect();
        SubscribeOptions options = SubscribeOptions.builder().overflow(OverflowPolicy.DROP_NEWEST).bufferSize(1024).build();
        for (int i = 1; i < subscriptions; i++) {
            broker.subscribe("other.svc" + i + (i % 2 == 0 ? ".*" : ".created"), e -> { }, options);
        }
        broker.subscribe("orders.created", e -> { }, options);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        broker.disconnect();
    }

    @Benchmark
    public void publish() {
        broker.publish("orders.created", message);
    }
}
