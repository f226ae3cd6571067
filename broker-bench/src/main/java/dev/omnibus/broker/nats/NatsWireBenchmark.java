package dev.omnibus.broker.nats;

import dev.omnibus.broker.Message;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import io.nats.client.support.IncomingHeadersProcessor;
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
 * The NATS backend's wire ({@link NatsWire}, package-private, hence this package) beside raw jnats,
 * per 128-byte message: encode is what a publish costs before the socket (build, the read-only
 * copy jnats makes of mutable headers, serialization into the write buffer); decode is what a
 * delivery costs after the socket (jnats parsing the header block, then the Omnibus message).
 * Run with {@code -prof gc} for bytes per operation.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class NatsWireBenchmark {
    private static final String SUBJECT = "orders.created";
    private final byte[] body = new byte[128];
    private final byte[] out = new byte[4096];
    private final Message message = Message.of(body);
    private final byte[] serializedIdHeader = serialized(NatsWire.toNats(SUBJECT, message).getHeaders());

    private static byte[] serialized(Headers h) {
        return new Headers(h, true, null).getSerialized();
    }

    /** What jnats does to a message's mutable headers in publish: a read-only copy, serialized on the writer thread. */
    private int wire(Headers h) {
        if (h == null || h.isEmpty()) {
            return 0;
        }
        Headers frozen = h.isReadOnly() ? h : new Headers(h, true, null);
        return frozen.serializeToArray(0, out);
    }

    @Benchmark
    public int encodeOmnibus() {
        NatsMessage m = NatsWire.toNats(SUBJECT, message);
        return wire(m.getHeaders()) + m.getData().length;
    }

    /** A new message each time, so the id is generated as in a real publish. */
    @Benchmark
    public int encodeOmnibusNewMessage() {
        NatsMessage m = NatsWire.toNats(SUBJECT, Message.of(body));
        return wire(m.getHeaders()) + m.getData().length;
    }

    @Benchmark
    public int encodeRawWithIdHeader() {
        Headers h = new Headers();
        h.put("id", Message.newId());
        return wire(h) + body.length;
    }

    @Benchmark
    public int encodeRawNoHeader() {
        return body.length;
    }

    @Benchmark
    public Message decodeOmnibus() {
        Headers h = new IncomingHeadersProcessor(serializedIdHeader).getHeaders();
        return NatsWire.fromNats(NatsMessage.builder().subject(SUBJECT).headers(h).data(body).build(), null);
    }

    @Benchmark
    public String decodeRawWithIdHeader() {
        Headers h = new IncomingHeadersProcessor(serializedIdHeader).getHeaders();
        return h.getFirst("id");
    }
}
