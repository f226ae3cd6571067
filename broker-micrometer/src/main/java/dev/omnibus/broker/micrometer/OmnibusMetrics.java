package dev.omnibus.broker.micrometer;

import dev.omnibus.broker.Event;
import dev.omnibus.broker.HandlerInterceptor;
import dev.omnibus.broker.Instrumentation;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.PublishInterceptor;
import dev.omnibus.broker.SlowConsumer;
import dev.omnibus.broker.SlowConsumerListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Micrometer metrics for an Omnibus broker, recorded by a {@link HandlerInterceptor} and a
 * {@link PublishInterceptor}. Works on every backend, since it sees only the API.
 *
 * <pre>{@code
 * OmnibusMetrics metrics = OmnibusMetrics.create(meterRegistry);
 * Broker broker = Brokers.create(metrics.instrument(BrokerOptions.builder().url("nats://127.0.0.1:4222")).build());
 * }</pre>
 *
 * <h2>Meters</h2>
 * Every meter has the tag {@value #TAG_BACKEND} (the provider name: {@code memory}, {@code nats},
 * {@code rabbitmq}) and {@value #TAG_TOPIC}, which is never a raw topic: on the subscribe side it
 * is the subscription's pattern ({@code orders.*}), on the publish side the result of the
 * {@linkplain Builder#publishTopicTag topic-to-tag function} (default {@link #firstTokenPattern}:
 * {@code orders.created.eu} becomes {@code orders.>}). Subscribe-side meters also carry
 * {@value #TAG_QUEUE} (the queue group, or {@code none}).
 * <table>
 *   <caption>meters</caption>
 *   <tr><th>name</th><th>type</th><th>extra tags</th><th>counts</th></tr>
 *   <tr><td>{@value #PUBLISHED}</td><td>counter</td><td>outcome=success|failure</td><td>publish and publishAsync calls, by outcome once known</td></tr>
 *   <tr><td>{@value #PUBLISH_DURATION}</td><td>timer</td><td>outcome</td><td>from the call to the broker accepting the message (the future completing for publishAsync)</td></tr>
 *   <tr><td>{@value #DELIVERED}</td><td>counter</td><td></td><td>handler invocations, redeliveries included</td></tr>
 *   <tr><td>{@value #REDELIVERED}</td><td>counter</td><td></td><td>deliveries with {@code deliveryAttempt() > 1}</td></tr>
 *   <tr><td>{@value #ACKED}</td><td>counter</td><td></td><td>deliveries settled by ack, explicit or auto-ack</td></tr>
 *   <tr><td>{@value #NACKED}</td><td>counter</td><td>reason=exception|nack</td><td>deliveries settled by nack: the chain threw, or {@code nack()} was called</td></tr>
 *   <tr><td>{@value #DEAD_LETTERED}</td><td>counter</td><td>destination=topic|dropped</td><td>nacks the retry policy gives up on: the last attempt ({@code maxDeliveries}), or a non-retryable failure</td></tr>
 *   <tr><td>{@value #SLOW_CONSUMER}</td><td>counter</td><td></td><td>stalls of a demand-driven subscription ({@code Subscriptions.publisher} / {@code pull}): a message waited for the subscriber's demand longer than {@code FlowOptions.slowConsumerAfter}; told through {@link SlowConsumerListener}, which the handler interceptor implements</td></tr>
 *   <tr><td>{@value #HANDLER_DURATION}</td><td>timer</td><td>outcome=success|failure</td><td>the rest of the chain and the handler, whether it returned or threw</td></tr>
 * </table>
 *
 * <h2>What is observed, and what is not</h2>
 * Settlement is observed through a delegating {@link Event} handed down the chain: calls to its
 * {@code ack()}/{@code nack()} (also later, from another thread, with auto-ack off) and the
 * auto-ack outcome (a normal return acks, a throw nacks). The first settlement counts, as in
 * the API. Dead letters are inferred: every backend dead-letters (or, without a
 * {@code deadLetterTopic}, drops with a logged error) a nack its retry policy does not retry;
 * whether publishing the dead letter itself then succeeded is not visible here (the backend logs
 * it). Messages taken back without settlement (a subscription closing, a connection lost before
 * the ack reached the server) are delivered but neither acked nor nacked. Poison messages of
 * {@code EventBus} that do not decode are dead-lettered by the event layer and acked, so they
 * count as acked.
 *
 * <p>Register this interceptor first (outermost), so that its timers include the other
 * interceptors and it sees their failures. Thread-safe; one instance may serve several brokers.
 */
public final class OmnibusMetrics implements Instrumentation {
    public static final String PUBLISHED = "omnibus.published";
    public static final String PUBLISH_DURATION = "omnibus.publish.duration";
    public static final String DELIVERED = "omnibus.delivered";
    public static final String REDELIVERED = "omnibus.redelivered";
    public static final String ACKED = "omnibus.acked";
    public static final String NACKED = "omnibus.nacked";
    public static final String DEAD_LETTERED = "omnibus.dead.lettered";
    public static final String HANDLER_DURATION = "omnibus.handler.duration";
    public static final String SLOW_CONSUMER = "omnibus.slow.consumer";

    public static final String TAG_BACKEND = "backend";
    public static final String TAG_TOPIC = "topic";
    public static final String TAG_QUEUE = "queue";
    public static final String TAG_OUTCOME = "outcome";
    public static final String TAG_REASON = "reason";
    public static final String TAG_DESTINATION = "destination";

    private final MeterRegistry registry;
    private final Function<String, String> publishTopicTag;
    private final Tags commonTags;
    private final Map<SubscriptionKey, SubscriptionMeters> subscriptionMeters = new ConcurrentHashMap<>();
    private final Map<PublishKey, PublishMeters> publishMeters = new ConcurrentHashMap<>();
    private final HandlerInterceptor handlerInterceptor = new Interceptor();
    private final PublishInterceptor publishInterceptor = this::interceptPublish;

    private OmnibusMetrics(Builder b) {
        this.registry = b.registry;
        this.publishTopicTag = b.publishTopicTag;
        this.commonTags = b.tags;
    }

    /** Metrics into {@code registry} with the defaults. */
    public static OmnibusMetrics create(MeterRegistry registry) {
        return builder(registry).build();
    }

    public static Builder builder(MeterRegistry registry) {
        return new Builder(registry);
    }

    /**
     * The interceptor recording the subscribe-side meters; register it per broker or per subscription.
     * It is also the {@link SlowConsumerListener} that counts {@value #SLOW_CONSUMER}: demand-driven
     * subscriptions find it among the interceptors.
     */
    @Override
    public HandlerInterceptor handlerInterceptor() {
        return handlerInterceptor;
    }

    /** The interceptor recording the publish-side meters. */
    @Override
    public PublishInterceptor publishInterceptor() {
        return publishInterceptor;
    }


    /**
     * The default publish-side topic tag: the first token followed by {@code .>} (the Omnibus
     * pattern for "one or more tokens"), or the topic itself when it has one token:
     * {@code orders.created} and {@code orders.created.eu} both become {@code orders.>}. Bounded
     * as long as first tokens are (they name a domain, not an id).
     */
    public static String firstTokenPattern(String topic) {
        int dot = topic.indexOf('.');
        return dot < 0 ? topic : topic.substring(0, dot) + ".>";
    }

    /** The handler interceptor, also told of slow-consumer stalls. */
    private final class Interceptor implements HandlerInterceptor, SlowConsumerListener {
        @Override
        public void intercept(Chain chain) throws Exception {
            OmnibusMetrics.this.intercept(chain);
        }

        @Override
        public void onSlowConsumer(SlowConsumer stall) {
            Tags tags = commonTags.and(TAG_BACKEND, stall.brokerName()).and(TAG_TOPIC, stall.pattern())
                    .and(TAG_QUEUE, stall.queue() == null ? "none" : stall.queue());
            counter(SLOW_CONSUMER, "Messages that waited for a demand-driven subscriber's demand longer than the stall threshold", tags)
                    .increment();
        }

        @Override
        public String toString() {
            return "OmnibusMetrics.handlerInterceptor";
        }
    }

    private void intercept(HandlerInterceptor.Chain chain) throws Exception {
        SubscriptionMeters m = subscriptionMeters.computeIfAbsent(
                new SubscriptionKey(chain.brokerName(), chain.pattern(), chain.queue()), this::newSubscriptionMeters);
        Event event = chain.event();
        m.delivered.increment();
        if (event.deliveryAttempt() > 1) {
            m.redelivered.increment();
        }
        MeteredEvent metered = new MeteredEvent(event, m, chain.options());
        Timer.Sample sample = Timer.start(registry);
        try {
            chain.proceed(metered);
        } catch (Throwable t) {
            sample.stop(m.handlerFailure);
            metered.recordNack(t);
            throw t;
        }
        sample.stop(m.handlerSuccess);
        if (chain.options().autoAck()) {
            metered.recordAck();
        }
    }

    private CompletableFuture<Void> interceptPublish(PublishInterceptor.Chain chain) {
        String tag = Objects.requireNonNull(publishTopicTag.apply(chain.topic()), "the publish topic tag function returned null");
        PublishMeters m = publishMeters.computeIfAbsent(new PublishKey(chain.brokerName(), tag), this::newPublishMeters);
        Timer.Sample sample = Timer.start(registry);
        return chain.proceed(chain.message()).whenComplete((ok, failure) -> {
            if (failure == null) {
                sample.stop(m.success);
                m.published.increment();
            } else {
                sample.stop(m.failure);
                m.failed.increment();
            }
        });
    }

    private SubscriptionMeters newSubscriptionMeters(SubscriptionKey k) {
        Tags tags = commonTags.and(TAG_BACKEND, k.backend).and(TAG_TOPIC, k.pattern).and(TAG_QUEUE, k.queue == null ? "none" : k.queue);
        return new SubscriptionMeters(
                counter(DELIVERED, "Messages handed to the handler, redeliveries included", tags),
                counter(REDELIVERED, "Deliveries after the first attempt", tags),
                counter(ACKED, "Deliveries acknowledged", tags),
                counter(NACKED, "Deliveries failed: the handler threw", tags.and(TAG_REASON, "exception")),
                counter(NACKED, "Deliveries failed: the handler called nack()", tags.and(TAG_REASON, "nack")),
                counter(DEAD_LETTERED, "Nacks on the last attempt, sent to the dead-letter topic", tags.and(TAG_DESTINATION, "topic")),
                counter(DEAD_LETTERED, "Nacks on the last attempt, dropped (no dead-letter topic)", tags.and(TAG_DESTINATION, "dropped")),
                timer(HANDLER_DURATION, "Time in the handler (and the interceptors inside this one)", tags.and(TAG_OUTCOME, "success")),
                timer(HANDLER_DURATION, "Time in the handler (and the interceptors inside this one)", tags.and(TAG_OUTCOME, "failure")));
    }

    private PublishMeters newPublishMeters(PublishKey k) {
        Tags tags = commonTags.and(TAG_BACKEND, k.backend).and(TAG_TOPIC, k.topicTag);
        return new PublishMeters(
                counter(PUBLISHED, "Messages the broker accepted", tags.and(TAG_OUTCOME, "success")),
                counter(PUBLISHED, "Publishes that failed", tags.and(TAG_OUTCOME, "failure")),
                timer(PUBLISH_DURATION, "Time until the broker accepted the message", tags.and(TAG_OUTCOME, "success")),
                timer(PUBLISH_DURATION, "Time until the broker accepted the message", tags.and(TAG_OUTCOME, "failure")));
    }

    private Counter counter(String name, String description, Iterable<Tag> tags) {
        return Counter.builder(name).description(description).tags(tags).register(registry);
    }

    private Timer timer(String name, String description, Iterable<Tag> tags) {
        return Timer.builder(name).description(description).tags(tags).register(registry);
    }

    private record SubscriptionKey(String backend, String pattern, String queue) {
    }

    private record PublishKey(String backend, String topicTag) {
    }

    record SubscriptionMeters(Counter delivered, Counter redelivered, Counter acked, Counter nackedByException,
            Counter nackedExplicitly, Counter deadLettered, Counter dropped, Timer handlerSuccess, Timer handlerFailure) {
    }

    private record PublishMeters(Counter published, Counter failed, Timer success, Timer failure) {
    }

    /** Builds {@link OmnibusMetrics}. */
    public static final class Builder {
        private final MeterRegistry registry;
        private Function<String, String> publishTopicTag = OmnibusMetrics::firstTokenPattern;
        private Tags tags = Tags.empty();

        private Builder(MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry must not be null");
        }

        /**
         * How a published topic becomes the {@value #TAG_TOPIC} tag; it must return few distinct
         * values (a pattern, a domain name), never the topic itself when topics carry ids.
         * Default {@link OmnibusMetrics#firstTokenPattern}.
         */
        public Builder publishTopicTag(Function<String, String> topicToTag) {
            this.publishTopicTag = Objects.requireNonNull(topicToTag, "topicToTag must not be null");
            return this;
        }

        /** Tags added to every meter, e.g. {@code application=shop}. */
        public Builder tags(Iterable<Tag> tags) {
            this.tags = this.tags.and(Objects.requireNonNull(tags, "tags must not be null"));
            return this;
        }

        public Builder tag(String key, String value) {
            this.tags = this.tags.and(key, value);
            return this;
        }

        public OmnibusMetrics build() {
            return new OmnibusMetrics(this);
        }
    }
}
