package dev.omnibus.broker.rabbitmq;

import com.rabbitmq.client.AMQP;
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

/**
 * The RabbitMQ backend's wire ({@link AmqpCodec}, package-private, hence this package): Omnibus
 * message → AMQP properties and back, per 128-byte message. Run with {@code -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AmqpCodecBenchmark {
    private final byte[] body = new byte[128];
    private final Message message = Message.of(body);
    private final AMQP.BasicProperties properties = AmqpCodec.properties(message, false);

    @Benchmark
    public AMQP.BasicProperties encode() {
        return AmqpCodec.properties(message, false);
    }

    @Benchmark
    public Message decode() {
        return AmqpCodec.message(properties, body);
    }
}
