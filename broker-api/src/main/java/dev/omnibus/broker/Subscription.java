package dev.omnibus.broker;

/**
 * A live subscription. Closing it stops delivery; it is idempotent and thread-safe.
 */
public interface Subscription extends AutoCloseable {
    /** The topic or pattern subscribed to. */
    String topic();

    /** The queue group, or null for a broadcast subscription. */
    String queue();

    /** True until unsubscribed or the broker disconnected. */
    boolean isActive();

    /**
     * Stops delivery and waits (up to the broker's shutdown timeout) for this subscription's
     * running handlers to return. Messages taken from the broker but not yet handled are
     * given back (redelivered to another group member where the backend acknowledges) or,
     * for broadcast subscriptions without acknowledgement, dropped. Idempotent.
     */
    void unsubscribe();

    @Override
    default void close() {
        unsubscribe();
    }
}
