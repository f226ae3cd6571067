package dev.omnibus.broker.support;

import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Message;

/** Builds the message sent to a dead-letter topic: the original headers and body plus the failure. */
public final class DeadLetters {
    private static final int MAX_REASON = 1000;

    /**
     * Where the shared delivery rule publishes dead letters: daemon threads of their own, so that a
     * publish that waits (for a connection, a stream, a full buffer) never holds up a handler thread.
     */
    static final java.util.concurrent.ExecutorService SENDER = sender();

    private static java.util.concurrent.ExecutorService sender() {
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ThreadPoolExecutor e = new java.util.concurrent.ThreadPoolExecutor(4, 4, 30, java.util.concurrent.TimeUnit.SECONDS,
                new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "omnibus-dead-letters-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        e.allowCoreThreadTimeOut(true);
        return e;
    }

    private DeadLetters() {
    }

    /**
     * The dead letter for {@code original}, published to {@code topic}, after {@code attempts}
     * attempts, the last of which failed with {@code cause} (null: nacked by the handler).
     */
    public static Message of(Message original, String topic, int attempts, Throwable cause) {
        return original.toBuilder()
                .header(Headers.DEAD_LETTER_REASON, reason(cause))
                .header(Headers.DEAD_LETTER_TOPIC, topic)
                .header(Headers.DEAD_LETTER_ATTEMPTS, Integer.toString(attempts))
                .build();
    }

    /** A one-line, header-safe description of {@code cause}. */
    public static String reason(Throwable cause) {
        if (cause == null) {
            return "nacked by handler";
        }
        String s = cause.getClass().getName() + (cause.getMessage() != null ? ": " + cause.getMessage() : "");
        StringBuilder b = new StringBuilder(Math.min(s.length(), MAX_REASON));
        for (int i = 0; i < s.length() && b.length() < MAX_REASON; i++) {
            char c = s.charAt(i);
            b.append(c < ' ' || c == 0x7f ? ' ' : c);
        }
        return b.toString();
    }
}
