package dev.omnibus.broker;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A connection to a message broker: publish, subscribe, request/reply.
 *
 * <p>Get one from {@link Brokers#create(String)} or {@link Brokers#fromEnvironment()}. A broker is
 * created disconnected; {@link #connect()} opens it and {@link #disconnect()} (or
 * {@link #close()}) closes it gracefully. All methods are thread-safe.
 *
 * <p>Arguments are checked before any I/O: an invalid topic or pattern is an
 * {@link IllegalArgumentException}, a null a {@link NullPointerException}, headers beyond the
 * {@link Limits} an {@link IllegalArgumentException} naming the limit. Using a broker that is
 * not connected is a {@link NotConnectedException}. Asking for something the backend lacks (see
 * {@link #capabilities()}) is an {@link UnsupportedCapabilityException}. No exception message and
 * no string returned here contains a password.
 *
 * <p>Interceptors registered in {@link BrokerOptions} and {@link SubscribeOptions} wrap every
 * handler call ({@link HandlerInterceptor}) and every publish ({@link PublishInterceptor}); metrics
 * and tracing modules are built on them.
 */
public interface Broker extends AutoCloseable {
    /** The provider name: {@code memory}, {@code rabbitmq}, {@code nats}, ... */
    String name();

    /**
     * Replaces the options. Allowed only while disconnected; they take effect on the next
     * {@link #connect()}.
     *
     * @throws IllegalStateException while connected
     */
    void init(BrokerOptions options);

    BrokerOptions options();

    /** The broker's address(es) with credentials masked. */
    String address();

    /** What this backend can do; fixed for the life of the instance. */
    Set<Capability> capabilities();

    /**
     * Connects; idempotent. Fails within the connect timeout with a {@link ConnectionException}
     * naming the (redacted) address.
     */
    void connect();

    boolean isConnected();

    /**
     * The connection's state now: {@link Health.Status#CONNECTED}, {@link Health.Status#RECONNECTING}
     * (connected from the API's point of view but the connection is down and recovering) or
     * {@link Health.Status#DISCONNECTED}, since when, and the last connection error (redacted).
     * Cheap and non-blocking: fit for a health endpoint polled often. The default says CONNECTED
     * or DISCONNECTED from {@link #isConnected()}; brokers built on
     * {@code dev.omnibus.broker.support.AbstractBroker} tell more.
     */
    default Health health() {
        return Health.of(isConnected() ? Health.Status.CONNECTED : Health.Status.DISCONNECTED, java.time.Instant.now(), null);
    }

    /**
     * Stops intake, lets running handlers finish within the shutdown timeout, then closes. After
     * it returns no handler of this broker runs. Idempotent.
     */
    void disconnect();

    /**
     * Publishes and returns once the broker accepted the message: confirmed where the backend has
     * {@link Capability#PUBLISH_CONFIRMS}. While the connection is down it waits up to the publish
     * timeout for recovery, then throws {@link PublishException}; it never returns normally for a
     * message the broker did not take.
     */
    void publish(String topic, Message message);

    /**
     * Publishes without waiting. The future completes when {@link #publish} would have returned,
     * or exceptionally with the exception it would have thrown. Argument errors and using a broker
     * that is not connected are thrown at the call, not through the future.
     */
    CompletableFuture<Void> publishAsync(String topic, Message message);

    /** Subscribes with {@link SubscribeOptions#defaults()}: broadcast, auto-ack, concurrency 1. */
    default Subscription subscribe(String topic, Handler handler) {
        return subscribe(topic, handler, SubscribeOptions.defaults());
    }

    /**
     * Subscribes {@code handler} to a topic or pattern. Returns once the subscription is active at
     * the broker: a message published after this returns reaches it.
     */
    Subscription subscribe(String topic, Handler handler, SubscribeOptions options);

    /**
     * Sends {@code message} and completes with the first reply, or exceptionally with a
     * {@link RequestException} after {@code timeout} (at once where the backend can tell that
     * nobody subscribes).
     */
    CompletableFuture<Message> request(String topic, Message message, Duration timeout);

    /** Same as {@link #disconnect()}. */
    @Override
    default void close() {
        disconnect();
    }
}
