package dev.omnibus.broker;

import java.util.Set;

/**
 * Wraps every handler call of a subscription, as an OkHttp {@code Interceptor} wraps a call:
 * metrics, tracing, logging, tenancy checks are interceptors, not flags in the core.
 *
 * <p>Register one for every subscription of a broker with
 * {@link BrokerOptions.Builder#interceptor(HandlerInterceptor)}, or for one subscription with
 * {@link SubscribeOptions.Builder#interceptor(HandlerInterceptor)}. Broker interceptors run
 * outermost, in registration order, then the subscription's, then the handler. With none
 * registered the handler is called directly: nothing is wrapped or allocated.
 *
 * <p>What is promised:
 * <ul>
 *   <li>{@link #intercept} runs on the thread that runs the handler, once per delivery
 *       (redeliveries included), with the subscription's concurrency: with concurrency 1 calls for
 *       one subscription never overlap.</li>
 *   <li>An interceptor that throws (an exception or an {@link Error}) counts as a failed handler:
 *       the delivery is nacked (redelivered or dead-lettered as configured). It never stops the
 *       subscription.</li>
 *   <li>The auto-ack rules apply to the whole chain: with auto-ack, a chain that returns normally
 *       acks the delivery and one that throws nacks it. An interceptor that does not call
 *       {@link Chain#proceed} therefore consumes the delivery without the handler seeing it.</li>
 *   <li>{@link Chain#proceed} may be given a different {@link Event}, e.g. one that delegates to
 *       {@link Chain#event()} and observes {@code ack()}/{@code nack()}; the handler and the
 *       inner interceptors see that event. A wrapping event must delegate {@code ack},
 *       {@code nack} and {@code reply}, or the delivery is never settled.</li>
 * </ul>
 */
@FunctionalInterface
public interface HandlerInterceptor {
    /**
     * Handles one delivery, normally by calling {@code chain.proceed(chain.event())} once.
     *
     * @throws Exception to fail the delivery, as a throwing handler does
     */
    void intercept(Chain chain) throws Exception;

    /** One delivery on its way through the interceptors of a subscription. */
    interface Chain {
        /** The delivery as this interceptor receives it. */
        Event event();

        /** The subscription's topic or pattern, e.g. {@code orders.*}; bounded, so fit for a metric tag. */
        String pattern();

        /** The subscription's queue group, or null for a broadcast subscription. */
        String queue();

        /** The subscription's options (auto-ack, max deliveries, dead-letter topic, ...). */
        SubscribeOptions options();

        /** The broker's provider name: {@code memory}, {@code rabbitmq}, {@code nats}, ... */
        String brokerName();

        /** The broker's node id. */
        String nodeId();

        /** What the broker can do, e.g. whether a nack leads to a redelivery ({@link Capability#ACKNOWLEDGEMENT}). */
        Set<Capability> capabilities();

        /**
         * Passes {@code event} to the next interceptor, or to the handler after the last one, and
         * returns when it returned; whatever it throws propagates. Calling it again (a retry
         * inside the interceptor) runs the rest of the chain again.
         */
        void proceed(Event event) throws Exception;
    }
}
