package dev.omnibus.broker.memory;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.Handler;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Subscription;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory broker with one deliberate fault, to prove the kit notices: each fault is a bug a real
 * backend could have. Counters are shared by every broker of a fault, as one faulty backend would be.
 */
final class BrokenBroker implements Broker {
    enum Fault {
        /** None: the control, which must pass what the faulty ones fail. */
        NONE,
        /** Acks one delivery in a thousand without running the handler: a message lost now and then. */
        DROPS_ONE_IN_A_THOUSAND,
        /** Acks every redelivery without running the handler: a nack is never redelivered. */
        NO_REDELIVERY,
        /** Delivers one group message in fifty to a second member as well. */
        GROUP_MESSAGE_TO_TWO_MEMBERS
    }

    private static final AtomicLong DELIVERIES = new AtomicLong();
    private static final AtomicLong SHADOWED = new AtomicLong();

    private final Broker delegate;
    private final Fault fault;

    BrokenBroker(Broker delegate, Fault fault) {
        this.delegate = delegate;
        this.fault = fault;
    }

    @Override
    public Subscription subscribe(String topic, Handler handler, SubscribeOptions options) {
        switch (fault) {
            case DROPS_ONE_IN_A_THOUSAND:
                return delegate.subscribe(topic, e -> {
                    if (DELIVERIES.incrementAndGet() % 1000 != 0) {
                        handler.handle(e);
                    }
                }, options);
            case NO_REDELIVERY:
                return delegate.subscribe(topic, e -> {
                    if (e.deliveryAttempt() == 1) {
                        handler.handle(e);
                    } else {
                        e.ack();
                    }
                }, options);
            case GROUP_MESSAGE_TO_TWO_MEMBERS:
                if (options.queue() == null) {
                    return delegate.subscribe(topic, handler, options);
                }
                Subscription member = delegate.subscribe(topic, handler, options);
                Subscription shadow = delegate.subscribe(topic, e -> {
                    if (SHADOWED.incrementAndGet() % 50 == 0) {
                        handler.handle(e);
                    }
                }, SubscribeOptions.builder().bufferSize(options.bufferSize()).build());
                return new Subscription() {
                    @Override
                    public String topic() {
                        return member.topic();
                    }

                    @Override
                    public String queue() {
                        return member.queue();
                    }

                    @Override
                    public boolean isActive() {
                        return member.isActive();
                    }

                    @Override
                    public void unsubscribe() {
                        shadow.unsubscribe();
                        member.unsubscribe();
                    }
                };
            default:
                return delegate.subscribe(topic, handler, options);
        }
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public void init(BrokerOptions options) {
        delegate.init(options);
    }

    @Override
    public BrokerOptions options() {
        return delegate.options();
    }

    @Override
    public String address() {
        return delegate.address();
    }

    @Override
    public Set<Capability> capabilities() {
        return delegate.capabilities();
    }

    @Override
    public void connect() {
        delegate.connect();
    }

    @Override
    public boolean isConnected() {
        return delegate.isConnected();
    }

    @Override
    public void disconnect() {
        delegate.disconnect();
    }

    @Override
    public void publish(String topic, Message message) {
        delegate.publish(topic, message);
    }

    @Override
    public CompletableFuture<Void> publishAsync(String topic, Message message) {
        return delegate.publishAsync(topic, message);
    }

    @Override
    public CompletableFuture<Message> request(String topic, Message message, Duration timeout) {
        return delegate.request(topic, message, timeout);
    }

    @Override
    public String toString() {
        return delegate + " with fault " + fault;
    }
}
