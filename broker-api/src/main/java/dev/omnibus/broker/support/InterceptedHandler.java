package dev.omnibus.broker.support;

import dev.omnibus.broker.Capability;
import dev.omnibus.broker.Event;
import dev.omnibus.broker.Handler;
import dev.omnibus.broker.HandlerInterceptor;
import dev.omnibus.broker.SubscribeOptions;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** A handler behind its subscription's interceptor chain; made by {@link AbstractBroker#subscribe}. */
final class InterceptedHandler implements Handler {
    private final HandlerInterceptor[] interceptors;
    private final Handler target;
    private final String pattern;
    private final SubscribeOptions options;
    private final String brokerName;
    private final String nodeId;
    private final Set<Capability> capabilities;

    private InterceptedHandler(List<HandlerInterceptor> interceptors, Handler target, String pattern, SubscribeOptions options,
            String brokerName, String nodeId, Set<Capability> capabilities) {
        this.interceptors = interceptors.toArray(new HandlerInterceptor[0]);
        this.target = target;
        this.pattern = pattern;
        this.options = options;
        this.brokerName = brokerName;
        this.nodeId = nodeId;
        this.capabilities = capabilities;
    }

    /** {@code target} itself when there is no interceptor, so that the hot path stays unwrapped. */
    static Handler wrap(List<HandlerInterceptor> brokerLevel, Handler target, String pattern, SubscribeOptions options,
            String brokerName, String nodeId, Set<Capability> capabilities) {
        List<HandlerInterceptor> own = options.interceptors();
        if (brokerLevel.isEmpty() && own.isEmpty()) {
            return target;
        }
        List<HandlerInterceptor> all = new java.util.ArrayList<>(brokerLevel.size() + own.size());
        all.addAll(brokerLevel);
        all.addAll(own);
        return new InterceptedHandler(all, target, pattern, options, brokerName, nodeId, capabilities);
    }

    @Override
    public void handle(Event event) throws Exception {
        call(0, event);
    }

    private void call(int index, Event event) throws Exception {
        Objects.requireNonNull(event, "an interceptor called proceed(null); pass chain.event() or an event that delegates to it");
        if (index == interceptors.length) {
            target.handle(event);
        } else {
            interceptors[index].intercept(new Link(index, event));
        }
    }

    @Override
    public String toString() {
        return "InterceptedHandler{pattern=" + pattern + ", interceptors=" + interceptors.length + ", handler=" + target + "}";
    }

    private final class Link implements HandlerInterceptor.Chain {
        private final int index;
        private final Event event;

        Link(int index, Event event) {
            this.index = index;
            this.event = event;
        }

        @Override
        public Event event() {
            return event;
        }

        @Override
        public String pattern() {
            return pattern;
        }

        @Override
        public String queue() {
            return options.queue();
        }

        @Override
        public SubscribeOptions options() {
            return options;
        }

        @Override
        public String brokerName() {
            return brokerName;
        }

        @Override
        public String nodeId() {
            return nodeId;
        }

        @Override
        public Set<Capability> capabilities() {
            return capabilities;
        }

        @Override
        public void proceed(Event next) throws Exception {
            call(index + 1, next);
        }
    }
}
