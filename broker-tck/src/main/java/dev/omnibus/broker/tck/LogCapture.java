package dev.omnibus.broker.tck;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Captures what slf4j-simple writes. slf4j-simple (logFile=System.err, the default) looks up
 * {@code System.err} on every log call, so replacing it for the duration of a test captures the
 * log lines; everything is still passed through to the original stream. For backend tests that
 * check what a broker logs (warnings given once, secrets never logged).
 */
public final class LogCapture implements AutoCloseable {
    private final PrintStream original;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

    private LogCapture() {
        original = System.err;
        OutputStream tee = new OutputStream() {
            @Override
            public void write(int b) {
                synchronized (captured) {
                    captured.write(b);
                }
                original.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                synchronized (captured) {
                    captured.write(b, off, len);
                }
                original.write(b, off, len);
            }

            @Override
            public void flush() {
                original.flush();
            }
        };
        System.setErr(new PrintStream(tee, true, StandardCharsets.UTF_8));
    }

    /** Starts capturing; close to restore {@code System.err}. */
    public static LogCapture start() {
        return new LogCapture();
    }

    /** Everything logged so far. */
    public String text() {
        synchronized (captured) {
            return captured.toString(StandardCharsets.UTF_8);
        }
    }

    /** How many times {@code fragment} occurs in the captured text. */
    public int count(String fragment) {
        String t = text();
        int n = 0;
        for (int i = t.indexOf(fragment); i >= 0; i = t.indexOf(fragment, i + fragment.length())) {
            n++;
        }
        return n;
    }

    @Override
    public void close() {
        System.err.flush();
        System.setErr(original);
    }
}
