package dev.omnibus.bench.jmh;

import dev.omnibus.broker.Message;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Cost and allocation of building a {@link Message} (run with {@code -prof gc}). */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MessageBenchmark {
    private final byte[] body = new byte[128];

    @Benchmark
    public Message ofBytes() {
        return Message.of(body);
    }

    @Benchmark
    public Message builderWithHeaders() {
        return Message.builder().body(body).contentType("application/json").header("tenant", "acme").build();
    }
}
