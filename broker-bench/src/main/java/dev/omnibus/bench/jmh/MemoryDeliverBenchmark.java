package dev.omnibus.bench.jmh;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * Publish → handler on the memory broker, one message at a time (the next is published once the
 * handler saw the last): the deliver path, with its thread hand-off, to 1 subscriber or a queue
 * group of 4. {@code -prof gc} counts the bytes of both threads per delivery.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MemoryDeliverBenchmark {
    @Param({"broadcast", "group4"})
    String shape;

    private Broker broker;
    private final AtomicLong seen = new AtomicLong();
    private long sent;
    private final Message message = Message.of(new byte[128]);

    @Setup(Level.Trial)
    public void setUp() {
        broker = Brokers.create("memory:");
        broker.connect();
        boolean group = shape.equals("group4");
        SubscribeOptions options = group ? SubscribeOptions.builder().queue("workers").build() : SubscribeOptions.defaults();
        for (int i = 0; i < (group ? 4 : 1); i++) {
            broker.subscribe("orders.created", e -> seen.incrementAndGet(), options);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        broker.disconnect();
    }

    @Benchmark
    public long deliver() {
        broker.publish("orders.created", message);
        long target = ++sent;
        while (seen.get() < target) {
            Thread.onSpinWait();
        }
        return target;
    }
}
