package dev.omnibus.bench;

/**
 * One way of moving messages from a publisher to subscribers: Omnibus on some backend, or a
 * reference (raw client, plain queue). Set up once, run for several rounds, closed at the end.
 */
public interface Workload extends AutoCloseable {
    /** Short name shown in the table, e.g. {@code omnibus} or {@code raw jnats}. */
    String name();

    /**
     * True for the Omnibus implementation the references are compared with (one per scenario); false
     * for references and for baselines ({@link OmnibusWorkload#asBaseline()}).
     */
    default boolean isOmnibus() {
        return name().startsWith("omnibus");
    }

    /** Connects and subscribes; not timed. */
    void setUp(int bodySize) throws Exception;

    /**
     * Publishes {@code count} messages stamped by {@link Probe#stampedBody}, each delivered to the
     * subscribers, which call {@link Probe#delivered}. Returns when the probe saw every delivery.
     */
    void run(int count, Probe probe) throws Exception;

    /** How many deliveries one published message makes (4 for a 1 → 4 broadcast). */
    default int fanout() {
        return 1;
    }

    @Override
    void close() throws Exception;
}
