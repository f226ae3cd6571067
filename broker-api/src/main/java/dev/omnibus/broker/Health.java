package dev.omnibus.broker;

import java.time.Instant;
import java.util.Objects;

/**
 * A snapshot of a broker's connection state, from {@link Broker#health()}. Immutable and safe
 * to show: {@link #lastError()} has passwords and secret URL parts masked.
 */
public final class Health {
    /** The connection state. */
    public enum Status {
        /** Connected and live: publishes go out, deliveries come in. */
        CONNECTED,
        /**
         * {@link Broker#connect()} succeeded but the connection is down and the backend is
         * recovering; publishes wait up to the publish timeout.
         */
        RECONNECTING,
        /** Never connected, or {@link Broker#disconnect()} was called. */
        DISCONNECTED
    }

    private final Status status;
    private final Instant since;
    private final String lastError;

    private Health(Status status, Instant since, String lastError) {
        this.status = Objects.requireNonNull(status, "status must not be null");
        this.since = Objects.requireNonNull(since, "since must not be null");
        this.lastError = lastError;
    }

    /**
     * A health snapshot. {@code lastError} must already be redacted (see
     * {@link dev.omnibus.broker.support.Redaction}); null when there was none.
     */
    public static Health of(Status status, Instant since, String lastError) {
        return new Health(status, since, lastError);
    }

    public Status status() {
        return status;
    }

    /** When the broker entered {@link #status()} (as far as the broker observed it). */
    public Instant since() {
        return since;
    }

    /** The last connection-related error seen by this broker, redacted; null if none. It may be older than {@link #since()}. */
    public String lastError() {
        return lastError;
    }

    /** True when {@link #status()} is {@link Status#CONNECTED}. */
    public boolean isConnected() {
        return status == Status.CONNECTED;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Health h && status == h.status && since.equals(h.since) && Objects.equals(lastError, h.lastError);
    }

    @Override
    public int hashCode() {
        return Objects.hash(status, since, lastError);
    }

    @Override
    public String toString() {
        return "Health{status=" + status + ", since=" + since + (lastError != null ? ", lastError=" + lastError : "") + "}";
    }
}
