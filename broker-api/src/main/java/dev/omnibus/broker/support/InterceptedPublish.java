package dev.omnibus.broker.support;

import dev.omnibus.broker.Limits;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.PublishInterceptor;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/** One publish through the broker's publish interceptors; made by {@link AbstractBroker#publish}. */
final class InterceptedPublish {
    private final AbstractBroker broker;
    private final List<PublishInterceptor> interceptors;
    private final String topic;
    private final Message original;
    private final boolean async;

    InterceptedPublish(AbstractBroker broker, List<PublishInterceptor> interceptors, String topic, Message original, boolean async) {
        this.broker = broker;
        this.interceptors = interceptors;
        this.topic = topic;
        this.original = original;
        this.async = async;
    }

    CompletableFuture<Void> run() {
        return call(0, original);
    }

    private CompletableFuture<Void> call(int index, Message message) {
        Objects.requireNonNull(message, "a publish interceptor called proceed(null); pass chain.message() or a variant of it");
        if (index == interceptors.size()) {
            return send(message);
        }
        CompletableFuture<Void> result = interceptors.get(index).intercept(new Link(index, message));
        if (result == null) {
            throw new NullPointerException("publish interceptor " + interceptors.get(index).getClass().getName()
                    + " returned null; return the future of chain.proceed(...)");
        }
        return result;
    }

    private CompletableFuture<Void> send(Message message) {
        if (message != original) {
            Limits.checkHeaders(topic, message);
        }
        try {
            if (async) {
                CompletableFuture<Void> f = broker.doPublishAsync(topic, message);
                return f != null ? f : CompletableFuture.completedFuture(null);
            }
            broker.doPublish(topic, message);
            return CompletableFuture.completedFuture(null);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private final class Link implements PublishInterceptor.Chain {
        private final int index;
        private final Message message;

        Link(int index, Message message) {
            this.index = index;
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
        public String brokerName() {
            return broker.name();
        }

        @Override
        public String nodeId() {
            return broker.options().nodeId();
        }

        @Override
        public boolean isAsync() {
            return async;
        }

        @Override
        public CompletableFuture<Void> proceed(Message next) {
            return call(index + 1, next);
        }
    }
}
