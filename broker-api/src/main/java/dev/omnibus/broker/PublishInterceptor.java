package dev.omnibus.broker;

import java.util.concurrent.CompletableFuture;

/**
 * Wraps every {@link Broker#publish} and {@link Broker#publishAsync} of a broker, as an OkHttp
 * {@code Interceptor} wraps a call: it may add headers (a {@code traceparent}), time the
 * publish, count it. Register with {@link BrokerOptions.Builder#publishInterceptor}; they run
 * in registration order, the first outermost. With none registered publish calls the backend
 * directly: nothing is wrapped or allocated.
 *
 * <p>One shape covers both calls: {@link Chain#proceed} returns a future that completes when the
 * broker took the message (for {@code publish} it is already complete when {@code proceed}
 * returns, since the publish ran on the calling thread; for {@code publishAsync} it may complete
 * later on another thread). The interceptor returns the future the caller sees, normally
 * {@code chain.proceed(message).whenComplete(...)}. A publish failure arrives as an
 * exceptionally completed future, never as an exception from {@code proceed}.
 *
 * <p>What is promised:
 * <ul>
 *   <li>Arguments are validated, and the connection checked, before the first interceptor runs;
 *       interceptors see only publishes that will be attempted.</li>
 *   <li>{@link #intercept} runs on the caller's thread.</li>
 *   <li>An exception thrown by {@link #intercept} propagates to the caller of {@code publish} or
 *       {@code publishAsync} at the call; the message is not published unless {@code proceed}
 *       was called.</li>
 *   <li>{@link Broker#request} does not pass through publish interceptors.</li>
 * </ul>
 */
@FunctionalInterface
public interface PublishInterceptor {
    /**
     * Publishes through {@code chain.proceed(message)}, normally once, and returns the future the
     * caller of {@code publishAsync} gets (for {@code publish}, its outcome is what
     * {@code publish} returns or throws).
     */
    CompletableFuture<Void> intercept(Chain chain);

    /** One publish on its way through the interceptors. */
    interface Chain {
        /** The concrete topic (never a pattern). Not bounded: do not use it as a metric tag as is. */
        String topic();

        /** The message as this interceptor receives it. */
        Message message();

        /** The broker's provider name: {@code memory}, {@code rabbitmq}, {@code nats}, ... */
        String brokerName();

        /** The broker's node id. */
        String nodeId();

        /** True for {@link Broker#publishAsync}, false for {@link Broker#publish}. */
        boolean isAsync();

        /**
         * Passes {@code message} (this chain's or a variant, e.g. with a header added) to the
         * next interceptor, or to the backend after the last one. The future completes when the
         * broker accepted the message, or exceptionally with the publish failure.
         *
         * @throws IllegalArgumentException if {@code message} is a variant that breaks the
         *     {@link Limits} (thrown at once, the message is not published)
         */
        CompletableFuture<Void> proceed(Message message);
    }
}
