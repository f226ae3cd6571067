package dev.omnibus.broker.interceptor;

import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.ConnectionException;
import dev.omnibus.broker.Handler;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.RequestException;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.support.AbstractBroker;
import dev.omnibus.broker.support.AbstractEvent;
import dev.omnibus.broker.support.AbstractSubscription;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * A backend for the interceptor tests that goes through {@link AbstractBroker} exactly as the real
 * ones do: it records what reaches {@code doPublish}/{@code doSubscribe}, and {@link #deliver}
 * runs a subscription's handler with {@link AbstractEvent#handleWith}.
 */
final class LoopbackBroker extends AbstractBroker {
    final List<Message> published = new CopyOnWriteArrayList<>();
    final List<Handler> handlers = new CopyOnWriteArrayList<>();
    final List<SubscribeOptions> subscribeOptions = new CopyOnWriteArrayList<>();
    volatile boolean live = true;
    volatile RuntimeException connectFailure;
    volatile RuntimeException publishFailure;
    volatile Supplier<CompletableFuture<Void>> asyncResult;

    LoopbackBroker(BrokerOptions options) {
        super("loopback", options, EnumSet.allOf(Capability.class));
    }

    static LoopbackBroker connected(BrokerOptions options) {
        LoopbackBroker b = new LoopbackBroker(options);
        b.connect();
        return b;
    }

    /** Delivers {@code message} to the {@code index}th subscription, as attempt {@code attempt}; returns the event. */
    RecordingEvent deliver(int index, Message message, int attempt) {
        RecordingEvent e = new RecordingEvent("a.b", message, attempt);
        e.handleWith(handlers.get(index), subscribeOptions.get(index).autoAck());
        return e;
    }

    void reportLost(Throwable cause) {
        reportConnectionLost(cause);
    }

    void reportRestored() {
        reportConnectionRestored();
    }

    @Override
    protected boolean isLive() {
        return live;
    }

    @Override
    protected void doConnect(BrokerOptions options) {
        if (connectFailure != null) {
            throw connectFailure;
        }
    }

    @Override
    protected void doDisconnect(Duration timeout) {
    }

    @Override
    protected void doPublish(String topic, Message message) {
        if (publishFailure != null) {
            throw publishFailure;
        }
        published.add(message);
    }

    @Override
    protected CompletableFuture<Void> doPublishAsync(String topic, Message message) {
        Supplier<CompletableFuture<Void>> r = asyncResult;
        if (r == null) {
            return super.doPublishAsync(topic, message);
        }
        published.add(message);
        return r.get();
    }

    @Override
    protected AbstractSubscription doSubscribe(String topic, Handler handler, SubscribeOptions options) {
        handlers.add(handler);
        subscribeOptions.add(options);
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
        return CompletableFuture.failedFuture(new RequestException("nobody answers on the loopback broker", true));
    }

    static ConnectionException refused(String text) {
        return new ConnectionException(text, null);
    }

    /** An event that remembers how it was settled. */
    static final class RecordingEvent extends AbstractEvent {
        volatile String outcome = "open";
        volatile Throwable cause;

        RecordingEvent(String topic, Message message, int attempt) {
            super(topic, message, attempt);
        }

        @Override
        protected void onAck() {
            outcome = "acked";
        }

        @Override
        protected void onNack(Throwable cause) {
            this.cause = cause;
            outcome = "nacked";
        }

        @Override
        protected void sendReply(String replyTo, Message reply) {
        }
    }
}
