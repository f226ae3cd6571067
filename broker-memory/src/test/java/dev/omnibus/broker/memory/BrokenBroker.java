package dev.omnibus.broker.memory;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.Event;
import dev.omnibus.broker.Handler;
import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Health;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.OverflowPolicy;
import dev.omnibus.broker.PublishInterceptor;
import dev.omnibus.broker.RetryPolicy;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Subscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The memory broker with one deliberate fault, to prove the kit notices: each fault is a bug a real
 * backend could have, and names the kit tests ({@code Group#method}) that must catch it. Counters
 * are shared by every broker of a fault, as one faulty backend would share them.
 */
final class BrokenBroker implements Broker {
    enum Fault {
        NONE("None: the control, which must pass what the faulty ones fail."),
        // delivery and ordering
        DROPS_ONE_IN_A_THOUSAND("Acks one delivery in a thousand without running the handler: a message lost now and then.", "PublishSubscribe#ordered", "PublishSubscribe#concurrentPublishers"),
        REORDERS_ONE_IN_A_HUNDRED("Hands one message in a hundred to the handler after the one published behind it.", "PublishSubscribe#ordered"),
        CORRUPTS_LONG_BODIES("Flips the last byte of every body of 256 bytes or more.", "PublishSubscribe#messagesArriveIntact"),
        DROPS_CUSTOM_HEADERS("Loses the application's own `x-...` headers on the way.", "DeadLetters#deadLetter", "RetryPolicies#deadLetterPublishFails"),
        WIDENS_TOPICS("Subscribes to the parent of a topic's last token: neighbours leak in.", "PublishSubscribe#topicIsolation"),
        // wildcards
        STAR_MATCHES_MANY_TOKENS("A final `*` matches several tokens, as `>` would.", "PublishSubscribe#wildcards"),
        EVENT_TOPIC_IS_THE_PATTERN("Reports the subscription's pattern as `Event.topic()` instead of the concrete topic.", "QueueGroups#groupOnAWildcard"),
        PUBLISH_TO_PATTERN_IGNORED("Publishing to a pattern returns quietly instead of failing.", "PublishSubscribe#wildcards", "BadInput#badTopics"),
        // groups
        GROUP_MESSAGE_TO_TWO_MEMBERS("Delivers one group message in fifty to a second member as well.", "QueueGroups#shareWork", "QueueGroups#groupsAndBroadcast"),
        LEAVER_SWALLOWS_MESSAGES("A leaving member swallows what reaches it while it leaves instead of handing it back.", "QueueGroups#memberLeavesMidStream", "Concurrency#leaverHandsBackAtOnce"),
        // concurrency
        CONCURRENCY_EXCEEDED("Runs one handler call more at once than `concurrency` allows.", "PublishSubscribe#concurrency"),
        CONCURRENCY_IGNORED("Runs one handler call at a time whatever `concurrency` says.", "PublishSubscribe#concurrency"),
        ERROR_STOPS_DELIVERY("Stops delivering to a subscription once its handler threw an `Error`.", "PublishSubscribe#throwingHandler"),
        CONCURRENT_SUBSCRIBES_MISWIRED("Subscriptions made while another subscribe is in progress listen on the wrong subject.", "Concurrency#concurrentSubscribes"),
        // acknowledgement, redelivery, dead letters
        NO_REDELIVERY("Acks every redelivery without running the handler: a nack is never redelivered.", "Acknowledgement#redeliveredAfterFailure", "Acknowledgement#manualAck", "DeadLetters#deadLetter"),
        REDELIVERS_AT_ONCE("Redelivers at once, whatever the retry policy's delay.", "Acknowledgement#redeliveryDelay", "RetryPolicies#exponentialBackoff"),
        ONE_ATTEMPT_TOO_MANY("Makes one delivery attempt more than `maxDeliveries`.", "Acknowledgement#redeliveryDelay", "DeadLetters#deadLetter", "RetryPolicies#exponentialBackoff"),
        NO_DEAD_LETTERS("Forgets the dead-letter topic: the last failure is dropped.", "DeadLetters#deadLetter", "RetryPolicies#nonRetryable", "RetryPolicies#deadLetterPublishFails"),
        DEAD_LETTER_WITHOUT_REASON("Dead letters lose the failure reason header.", "DeadLetters#deadLetter", "RetryPolicies#nonRetryable", "RetryPolicies#deadLetterPublishFails"),
        NON_RETRYABLE_RETRIED("Retries failures the retry policy marks non-retryable.", "RetryPolicies#nonRetryable"),
        UNACKED_ACKED_ON_CLOSE("Acks what a manual-ack subscription still holds when it closes.", "Acknowledgement#manualAck"),
        PREFETCH_IGNORED("Ignores `prefetch`: a manual-ack member gets everything at once.", "FlowControl#prefetchBoundsUnsettled"),
        FULL_BUFFER_DROPS("Drops the newest message when a buffer is full under the default BLOCK policy.", "FlowControl#blockLosesNothing"),
        // request / reply
        REPLIES_MIXED_UP("Completes each request with the reply of the request before it.", "RequestReply#requestReply"),
        // lifecycle and shutdown
        SECOND_CONNECT_THROWS("A second `connect()` throws.", "Lifecycle#connectDisconnectIdempotent"),
        PUBLISH_WHILE_DISCONNECTED_IGNORED("A publish while disconnected returns quietly: the message is lost.", "Lifecycle#connectDisconnectIdempotent"),
        INIT_WHILE_CONNECTED_IGNORED("`init` while connected is ignored instead of refused.", "Lifecycle#initOnlyWhileDisconnected"),
        DISCONNECT_DOES_NOT_WAIT("`disconnect()` returns at once and closes in the background.", "Lifecycle#disconnectWaitsForHandlers"),
        UNSUBSCRIBE_DOES_NOT_WAIT("`unsubscribe()` returns at once and unsubscribes in the background.", "PublishSubscribe#unsubscribe"),
        UNSUBSCRIBE_KEEPS_DELIVERING("`unsubscribe()` marks the subscription inactive but messages keep coming.", "PublishSubscribe#unsubscribe"),
        // redaction and health
        ADDRESS_SHOWS_PASSWORD("`address()` shows the password of the credentials.", "Lifecycle#noPasswordAnywhere"),
        HEALTH_STUCK_CONNECTED("`health()` stays CONNECTED after disconnect.", "Lifecycle#healthFollowsTheLifecycle"),
        // interceptors and threads
        SUBSCRIPTION_INTERCEPTORS_SKIPPED("Subscription-level handler interceptors are left out.", "Interceptors#interceptorsRunInOrder"),
        PUBLISH_INTERCEPTORS_REVERSED("Publish interceptors run in the reverse of their registration order.", "Interceptors#interceptorsRunInOrder"),
        THREAD_FACTORY_IGNORED("`BrokerOptions.threadFactory` is ignored.", "Interceptors#handlerThreadFactory");

        /** What the fault breaks, for the catalogue. */
        final String what;
        /** The kit tests ({@code Group#method}) that must fail on it. */
        final List<String> guards;

        Fault(String what, String... guards) {
            this.what = what;
            this.guards = List.of(guards);
        }
    }

    private static final Map<Fault, AtomicLong> COUNTERS = new ConcurrentHashMap<>();
    private static final AtomicInteger SUBSCRIBING = new AtomicInteger();
    private static final AtomicReference<Message> LAST_REPLY = new AtomicReference<>();

    private final Broker delegate;
    private final Fault fault;
    private final AtomicBoolean everConnected = new AtomicBoolean();

    BrokenBroker(Broker delegate, Fault fault) {
        this.delegate = delegate;
        this.fault = fault;
        if (fault == Fault.DEAD_LETTER_WITHOUT_REASON) {
            PublishInterceptor strip = chain -> chain.message().header(Headers.DEAD_LETTER_REASON) == null
                    ? chain.proceed(chain.message())
                    : chain.proceed(Message.builder().body(chain.message().body()).headers(without(chain.message().headers(),
                            Headers.DEAD_LETTER_REASON)).build());
            delegate.init(delegate.options().toBuilder().publishInterceptor(strip).build());
        }
    }

    private static long count(Fault f) {
        return COUNTERS.computeIfAbsent(f, k -> new AtomicLong()).incrementAndGet();
    }

    private static Map<String, String> without(Map<String, String> headers, String name) {
        Map<String, String> m = new java.util.LinkedHashMap<>(headers);
        m.remove(name);
        return m;
    }

    @Override
    public Subscription subscribe(String topic, Handler handler, SubscribeOptions options) {
        SubscribeOptions.Builder o = options.toBuilder();
        Handler h = handler;
        String t = topic;
        switch (fault) {
            case DROPS_ONE_IN_A_THOUSAND:
                h = e -> {
                    if (count(fault) % 1000 != 0) {
                        handler.handle(e);
                    }
                };
                break;
            case REORDERS_ONE_IN_A_HUNDRED: {
                AtomicReference<Event> held = new AtomicReference<>();
                AtomicLong seen = new AtomicLong();
                h = e -> {
                    if (seen.incrementAndGet() % 100 == 50) {
                        held.set(e);
                        return;
                    }
                    handler.handle(e);
                    Event late = held.getAndSet(null);
                    if (late != null) {
                        handler.handle(late);
                    }
                };
                break;
            }
            case CORRUPTS_LONG_BODIES:
                h = e -> {
                    byte[] body = e.message().body();
                    if (body.length < 256) {
                        handler.handle(e);
                        return;
                    }
                    byte[] bad = body.clone();
                    bad[bad.length - 1] ^= 1;
                    handler.handle(new Changed(e, e.topic(), e.message().toBuilder().body(bad).build()));
                };
                break;
            case DROPS_CUSTOM_HEADERS:
                h = e -> {
                    Map<String, String> kept = new java.util.LinkedHashMap<>(e.message().headers());
                    kept.keySet().removeIf(k -> k.startsWith("x-"));
                    handler.handle(new Changed(e, e.topic(), Message.builder().body(e.message().body()).headers(kept).build()));
                };
                break;
            case WIDENS_TOPICS:
                if (!topic.contains("*") && !topic.contains(">") && topic.indexOf('.') > 0) {
                    t = topic.substring(0, topic.lastIndexOf('.')) + ".*";
                }
                break;
            case STAR_MATCHES_MANY_TOKENS:
                if (topic.endsWith(".*")) {
                    t = topic.substring(0, topic.length() - 1) + ">";
                }
                break;
            case EVENT_TOPIC_IS_THE_PATTERN:
                h = e -> handler.handle(new Changed(e, topic, e.message()));
                break;
            case GROUP_MESSAGE_TO_TWO_MEMBERS:
                if (options.queue() != null) {
                    Subscription member = delegate.subscribe(topic, handler, options);
                    Subscription shadow = delegate.subscribe(topic, e -> {
                        if (count(fault) % 50 == 0) {
                            handler.handle(e);
                        }
                    }, SubscribeOptions.builder().bufferSize(options.bufferSize()).build());
                    return new Wrapped(member, () -> {
                        shadow.unsubscribe();
                        member.unsubscribe();
                    });
                }
                break;
            case LEAVER_SWALLOWS_MESSAGES: {
                AtomicBoolean leaving = new AtomicBoolean();
                Subscription s = delegate.subscribe(topic, e -> {
                    if (!leaving.get()) {
                        handler.handle(e);
                    }
                }, options);
                return new Wrapped(s, () -> {
                    leaving.set(true);
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300)); // swallow what arrives meanwhile
                    s.unsubscribe();
                });
            }
            case CONCURRENCY_EXCEEDED:
                o.concurrency(options.concurrency() + 1);
                break;
            case CONCURRENCY_IGNORED:
                o.concurrency(1);
                break;
            case ERROR_STOPS_DELIVERY: {
                AtomicBoolean broken = new AtomicBoolean();
                h = e -> {
                    if (broken.get()) {
                        return;
                    }
                    try {
                        handler.handle(e);
                    } catch (Error err) {
                        broken.set(true);
                        throw err;
                    }
                };
                break;
            }
            case CONCURRENT_SUBSCRIBES_MISWIRED: {
                SUBSCRIBING.incrementAndGet();
                try {
                    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
                    while (SUBSCRIBING.get() < 2 && System.nanoTime() < until) {
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                    }
                    return delegate.subscribe(SUBSCRIBING.get() > 1 ? topic + ".miswired" : topic, handler, options);
                } finally {
                    SUBSCRIBING.decrementAndGet();
                }
            }
            case NO_REDELIVERY:
                h = e -> {
                    if (e.deliveryAttempt() == 1) {
                        handler.handle(e);
                    } else {
                        e.ack();
                    }
                };
                break;
            case REDELIVERS_AT_ONCE:
                o.retry(options.retry().toBuilder().fixed(Duration.ZERO).build());
                break;
            case ONE_ATTEMPT_TOO_MANY:
                o.retry(options.retry().withMaxDeliveries(options.maxDeliveries() + 1));
                break;
            case NO_DEAD_LETTERS:
                o.deadLetterTopic(null);
                break;
            case NON_RETRYABLE_RETRIED: {
                RetryPolicy p = options.retry();
                o.retry(RetryPolicy.builder().exponential(p.initialDelay(), p.multiplier(), p.maxDelay()).jitter(p.jitter())
                        .maxDeliveries(p.maxDeliveries()).build());
                break;
            }
            case UNACKED_ACKED_ON_CLOSE: {
                List<Event> held = Collections.synchronizedList(new ArrayList<>());
                Subscription s = delegate.subscribe(topic, e -> {
                    held.add(e);
                    handler.handle(e);
                }, options);
                return new Wrapped(s, () -> {
                    synchronized (held) {
                        held.forEach(Event::ack);
                    }
                    s.unsubscribe();
                });
            }
            case PREFETCH_IGNORED:
                o.prefetch(100_000);
                break;
            case FULL_BUFFER_DROPS:
                if (options.overflow() == OverflowPolicy.BLOCK) {
                    o.overflow(OverflowPolicy.DROP_NEWEST);
                }
                break;
            case UNSUBSCRIBE_DOES_NOT_WAIT: {
                Subscription s = delegate.subscribe(topic, handler, options);
                return new Wrapped(s, () -> new Thread(s::unsubscribe).start());
            }
            case UNSUBSCRIBE_KEEPS_DELIVERING: {
                Subscription s = delegate.subscribe(topic, handler, options);
                AtomicBoolean gone = new AtomicBoolean();
                return new Subscription() {
                    @Override
                    public String topic() {
                        return s.topic();
                    }

                    @Override
                    public String queue() {
                        return s.queue();
                    }

                    @Override
                    public boolean isActive() {
                        return !gone.get();
                    }

                    @Override
                    public void unsubscribe() {
                        gone.set(true);
                    }
                };
            }
            case SUBSCRIPTION_INTERCEPTORS_SKIPPED:
                o.interceptors(List.of());
                break;
            default:
                break;
        }
        return delegate.subscribe(t, h, o.build());
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public void init(BrokerOptions options) {
        BrokerOptions o = options;
        if (fault == Fault.INIT_WHILE_CONNECTED_IGNORED && delegate.isConnected()) {
            return;
        }
        if (fault == Fault.PUBLISH_INTERCEPTORS_REVERSED) {
            List<PublishInterceptor> reversed = new ArrayList<>(options.publishInterceptors());
            Collections.reverse(reversed);
            BrokerOptions.Builder b = options.toBuilder().publishInterceptors(reversed);
            o = b.build();
        }
        if (fault == Fault.THREAD_FACTORY_IGNORED) {
            o = o.toBuilder().threadFactory(null).build();
        }
        delegate.init(o);
    }

    @Override
    public BrokerOptions options() {
        return delegate.options();
    }

    @Override
    public String address() {
        if (fault == Fault.ADDRESS_SHOWS_PASSWORD && delegate.options().password() != null) {
            return delegate.address() + " (as " + delegate.options().username() + ":" + delegate.options().password() + ")";
        }
        return delegate.address();
    }

    @Override
    public Set<Capability> capabilities() {
        return delegate.capabilities();
    }

    @Override
    public Health health() {
        if (fault == Fault.HEALTH_STUCK_CONNECTED && everConnected.get()) {
            return Health.of(Health.Status.CONNECTED, java.time.Instant.now(), null);
        }
        return delegate.health();
    }

    @Override
    public void connect() {
        if (fault == Fault.SECOND_CONNECT_THROWS && delegate.isConnected()) {
            throw new IllegalStateException("already connected");
        }
        delegate.connect();
        everConnected.set(true);
    }

    @Override
    public boolean isConnected() {
        return delegate.isConnected();
    }

    @Override
    public void disconnect() {
        if (fault == Fault.DISCONNECT_DOES_NOT_WAIT) {
            new Thread(delegate::disconnect).start();
            return;
        }
        delegate.disconnect();
    }

    @Override
    public void publish(String topic, Message message) {
        if (fault == Fault.PUBLISH_TO_PATTERN_IGNORED && topic != null && (topic.contains("*") || topic.contains(">"))) {
            return;
        }
        if (fault == Fault.PUBLISH_WHILE_DISCONNECTED_IGNORED && !delegate.isConnected()) {
            return;
        }
        delegate.publish(topic, message);
    }

    @Override
    public CompletableFuture<Void> publishAsync(String topic, Message message) {
        return delegate.publishAsync(topic, message);
    }

    @Override
    public CompletableFuture<Message> request(String topic, Message message, Duration timeout) {
        CompletableFuture<Message> reply = delegate.request(topic, message, timeout);
        if (fault == Fault.REPLIES_MIXED_UP) {
            return reply.thenApply(r -> {
                Message previous = LAST_REPLY.getAndSet(r);
                return previous != null ? previous : r;
            });
        }
        return reply;
    }

    @Override
    public String toString() {
        return delegate + " with fault " + fault;
    }

    /** A subscription whose unsubscribe does something else first. */
    private static final class Wrapped implements Subscription {
        private final Subscription inner;
        private final Runnable unsubscribe;

        Wrapped(Subscription inner, Runnable unsubscribe) {
            this.inner = inner;
            this.unsubscribe = unsubscribe;
        }

        @Override
        public String topic() {
            return inner.topic();
        }

        @Override
        public String queue() {
            return inner.queue();
        }

        @Override
        public boolean isActive() {
            return inner.isActive();
        }

        @Override
        public void unsubscribe() {
            unsubscribe.run();
        }
    }

    /** An event seen with another topic or message; settles and replies through the original. */
    private static final class Changed implements Event {
        private final Event original;
        private final String topic;
        private final Message message;

        Changed(Event original, String topic, Message message) {
            this.original = original;
            this.topic = topic;
            this.message = message;
        }

        @Override
        public String topic() {
            return topic;
        }

        @Override
        public Message message() {
            return message;
        }

        @Override
        public int deliveryAttempt() {
            return original.deliveryAttempt();
        }

        @Override
        public void ack() {
            original.ack();
        }

        @Override
        public void nack() {
            original.nack();
        }

        @Override
        public void reply(Message reply) {
            original.reply(reply);
        }
    }
}
