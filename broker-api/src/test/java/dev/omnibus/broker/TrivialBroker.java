package dev.omnibus.broker;

import dev.omnibus.broker.support.AbstractBroker;
import dev.omnibus.broker.support.AbstractSubscription;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** A minimal broker for the test providers: records what it is asked and delivers nothing. */
public final class TrivialBroker extends AbstractBroker {
    public final List<String> published = new CopyOnWriteArrayList<>();
    public volatile int connects;
    public volatile int disconnects;

    public TrivialBroker(String name, BrokerOptions options, Set<Capability> capabilities) {
        super(name, options, capabilities);
    }

    @Override
    protected void doConnect(BrokerOptions options) {
        connects++;
    }

    @Override
    protected void doDisconnect(Duration timeout) {
        disconnects++;
    }

    @Override
    protected void doPublish(String topic, Message message) {
        published.add(topic);
    }

    @Override
    protected AbstractSubscription doSubscribe(String topic, Handler handler, SubscribeOptions options) {
        return new AbstractSubscription(this, topic, options) {
            @Override
            protected void doStopIntake() {
            }

            @Override
            protected void doClose(Duration timeout) {
            }
        };
    }

    @Override
    protected CompletableFuture<Message> doRequest(String topic, Message message, Duration timeout) {
        return CompletableFuture.failedFuture(new RequestException("nobody answers in the trivial broker", true));
    }
}
