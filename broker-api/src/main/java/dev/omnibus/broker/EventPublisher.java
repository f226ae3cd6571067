package dev.omnibus.broker;

import java.util.concurrent.Flow;

/**
 * A subscription at the broker whose events are pulled by one {@link Flow.Subscriber}'s demand;
 * made by {@link Subscriptions#publisher}. Reactor, Mutiny and RxJava adapt it through
 * {@code java.util.concurrent.Flow} (e.g. {@code JdkFlowAdapter.flowPublisherToFlux}).
 *
 * <p>What is promised, on every backend:
 * <ul>
 *   <li><b>Demand drives delivery:</b> the subscriber gets at most as many {@code onNext} as it
 *       requested. Messages it has not asked for stay at the broker: at most {@code prefetch}
 *       ({@link SubscribeOptions#prefetch()}) are taken from the broker and unsettled at once,
 *       those handed to {@code onNext} and not yet settled included. Where the backend has
 *       broker-side flow control (JetStream {@code maxAckPending}, RabbitMQ {@code basic.qos})
 *       the broker itself enforces it; nothing is buffered without bound in the JVM. Pair a
 *       small prefetch with small requests to keep the rest at the broker. On a backend without
 *       {@link Capability#ACKNOWLEDGEMENT} (NATS core) nothing is unsettled: what waits for demand
 *       is the subscription's buffer ({@code bufferSize}, {@code overflow}) as for a handler.</li>
 *   <li><b>Acknowledgement:</b> with auto-ack an event is acked after {@code onNext} returns; with
 *       auto-ack off the subscriber acks or nacks as with a {@link Handler}. An operator that hands
 *       the work to another thread ({@code publishOn}, {@code flatMap}) returns from {@code onNext}
 *       before the work is done: use auto-ack off there and settle when done. An {@code onNext}
 *       that throws (a Reactive Streams rule 2.13 violation) nacks the event and cancels.</li>
 *   <li><b>Cancel</b> unsubscribes with the usual hand-back ({@link Subscription#unsubscribe()}):
 *       messages not handed to {@code onNext}, and those not settled, go back to the broker
 *       (to another group member). An event whose {@code onNext} returned is auto-acked first.</li>
 *   <li><b>{@link #unsubscribe()}</b> does the same and then completes the subscriber.</li>
 *   <li><b>One subscriber:</b> a second one, or one arriving after unsubscribe, gets
 *       {@code onSubscribe} and then {@code onError(IllegalStateException)}.</li>
 *   <li><b>Slow consumers are visible:</b> a message that waits for demand longer than
 *       {@link FlowOptions#slowConsumerAfter()} logs the slow-consumer warning (at most once per
 *       {@link dev.omnibus.broker.support.DeliveryQueue#WARN_INTERVAL}) and tells the
 *       {@link SlowConsumerListener}s; no publisher is held back by it.</li>
 *   <li>Signals follow the Reactive Streams rules: {@code onSubscribe} first, signals serial,
 *       {@code request(n <= 0)} signals {@code onError(IllegalArgumentException)}, cancel is
 *       idempotent and no signal follows it. With concurrency 1 events arrive in broker order.</li>
 * </ul>
 * A broker disconnect ends delivery without a signal to the subscriber.
 */
public interface EventPublisher extends Subscription, Flow.Publisher<Event> {
}
