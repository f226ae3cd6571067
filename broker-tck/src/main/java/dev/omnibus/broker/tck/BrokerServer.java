package dev.omnibus.broker.tck;

/**
 * A handle on a broker server the kit's fault tests may disturb: where it is, and how to restart
 * it. Obtain one from {@link BrokerServers}. {@link #restart()} returns once the server accepts
 * clients again and never leaves it down: if stopping worked and starting failed, it tries to start
 * the server again before throwing.
 */
public interface BrokerServer extends AutoCloseable {
    /** The URL clients use (credentials included where the server needs them). */
    String url();

    /** What this server is and how it is restarted, for reports and skip reasons. */
    String description();

    /** Whether {@link #restart()} is possible; when false, {@link #whyNoRestart()} says why. */
    boolean canRestart();

    /** Why this server cannot be restarted by the kit, or an empty string when it can. */
    default String whyNoRestart() {
        return canRestart() ? "" : description() + " offers no way to restart it";
    }

    /** Stops the server and starts it again (same address, same stored data); returns once it accepts clients. */
    void restart();

    /**
     * A proxy whose {@link TcpProxy#cut()} really cuts this server's clients, for servers whose
     * clients, once bootstrapped, connect to addresses the server advertises (Kafka): a proxy in front
     * of a listener that advertises the proxy's own address. Null when the kit's default proxy in
     * front of {@link #url()} does (RabbitMQ, NATS) or the server offers none (an external cluster).
     * Only one can be open at a time; close it before asking for the next.
     */
    default TcpProxy cuttableProxy() {
        return null;
    }

    /** Makes sure the server runs (after a failed test, say); does nothing when it does. */
    default void ensureRunning() {
    }

    /** Stops what the fixture started itself; a server it merely found is left alone. */
    @Override
    default void close() {
    }
}
