package dev.omnibus.bench.jmh;

import dev.omnibus.broker.event.JsonCodec;
import java.time.Instant;
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

/** Encode + decode of a small record with the default JSON codec. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CodecBenchmark {
    public record OrderPlaced(long id, String customer, Instant placedAt, int lines) {
    }

    private final JsonCodec codec = JsonCodec.create();
    private final OrderPlaced order = new OrderPlaced(42, "ada", Instant.parse("2026-11-22T10:00:00Z"), 3);

    @Benchmark
    public OrderPlaced encodeDecode() {
        return codec.decode(codec.encode(order), OrderPlaced.class);
    }
}
