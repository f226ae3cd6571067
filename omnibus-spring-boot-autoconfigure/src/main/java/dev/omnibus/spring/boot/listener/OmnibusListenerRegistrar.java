package dev.omnibus.spring.boot.listener;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.Event;
import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.RetryPolicy;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Subscription;
import dev.omnibus.broker.Topics;
import dev.omnibus.broker.event.EventBus;
import dev.omnibus.spring.boot.OmnibusBrokerLifecycle;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.convert.ConversionService;
import org.springframework.core.convert.TypeDescriptor;
import org.springframework.core.convert.support.DefaultConversionService;
import org.springframework.core.MethodParameter;

/**
 * Finds {@link OmnibusListener} methods on singleton beans, checks them at startup, subscribes
 * them once the broker is connected (phase {@link OmnibusBrokerLifecycle#LISTENER_PHASE}) and
 * unsubscribes them on stop, letting running calls finish within the broker's shutdown timeout.
 */
public class OmnibusListenerRegistrar implements BeanPostProcessor, SmartInitializingSingleton, SmartLifecycle, BeanFactoryAware {
    private static final Logger LOG = LoggerFactory.getLogger(OmnibusListenerRegistrar.class);

    /** Packages whose types are never a payload: the broker API's own (Broker, Subscription, ...) and its internals. */
    private static final Set<String> NOT_PAYLOADS = Set.of("dev.omnibus.broker", "dev.omnibus.broker.spi", "dev.omnibus.broker.support");

    private final List<Endpoint> endpoints = new CopyOnWriteArrayList<>();
    private final List<Subscription> subscriptions = new ArrayList<>();
    private final ConversionService conversion = DefaultConversionService.getSharedInstance();
    private ConfigurableBeanFactory beanFactory;
    private volatile boolean running;
    private boolean subscribed;
    private final Runnable subscribeAll = this::subscribeAll;

    @Override
    public void setBeanFactory(BeanFactory beanFactory) {
        this.beanFactory = (ConfigurableBeanFactory) beanFactory;
    }

    /** The listener methods found, as {@code Bean.method(...) -> topic}; for diagnostics and tests. */
    public List<String> describe() {
        return endpoints.stream().map(e -> e.where() + " -> " + e.topic).collect(Collectors.toList());
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
        Class<?> type = AopUtils.getTargetClass(bean);
        if (type.getName().startsWith("org.springframework.") || type.getName().startsWith("dev.omnibus.broker.")) {
            return bean;
        }
        Map<Method, OmnibusListener> found = MethodIntrospector.selectMethods(type,
                (MethodIntrospector.MetadataLookup<OmnibusListener>) m -> AnnotatedElementUtils.findMergedAnnotation(m, OmnibusListener.class));
        for (Map.Entry<Method, OmnibusListener> e : found.entrySet()) {
            Method invocable = AopUtils.selectInvocableMethod(e.getKey(), bean.getClass());
            endpoints.add(endpoint(bean, beanName, type, e.getKey(), invocable, e.getValue()));
        }
        return bean;
    }

    private Endpoint endpoint(Object bean, String beanName, Class<?> type, Method declared, Method invocable, OmnibusListener a) {
        String where = "@OmnibusListener method " + type.getSimpleName() + "." + declared.getName() + "("
                + java.util.Arrays.stream(declared.getParameterTypes()).map(Class::getSimpleName).collect(Collectors.joining(", "))
                + ") of bean '" + beanName + "'";
        try {
            String topic = resolve(a.topic());
            Topics.validatePattern(topic);
            SubscribeOptions.Builder options = SubscribeOptions.builder()
                    .autoAck(a.autoAck())
                    .concurrency(a.concurrency())
                    .durable(a.durable());
            String queue = resolve(a.queue());
            if (!queue.isEmpty()) {
                options.queue(queue);
            }
            String dlt = resolve(a.deadLetterTopic());
            if (!dlt.isEmpty()) {
                options.deadLetterTopic(dlt);
            }
            RetryPolicy retry = retryPolicy(a);
            if (retry != null) {
                options.retry(retry);
            }
            Param[] params = params(declared);
            Endpoint ep = new Endpoint(bean, invocable, where, topic, options.build(), params,
                    declared.getReturnType() != void.class && declared.getReturnType() != Void.class,
                    a.maxDeliveries() > 0 || !a.retryDelay().isEmpty() || !a.autoAck());
            invocable.trySetAccessible();
            return ep;
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IllegalStateException(where + ": " + e.getMessage(), e);
        }
    }

    private RetryPolicy retryPolicy(OmnibusListener a) {
        String delay = resolve(a.retryDelay());
        String max = resolve(a.retryMaxDelay());
        if (delay.isEmpty() && a.maxDeliveries() == 0 && a.retryMultiplier() == 1.0 && max.isEmpty()) {
            return null;
        }
        Duration initial = delay.isEmpty() ? RetryPolicy.DEFAULT_DELAY : duration("retryDelay", delay);
        RetryPolicy policy;
        if (a.retryMultiplier() != 1.0 || !max.isEmpty()) {
            Duration maxDelay = max.isEmpty() ? initial.multipliedBy(10) : duration("retryMaxDelay", max);
            policy = RetryPolicy.exponential(initial, a.retryMultiplier(), maxDelay);
        } else {
            policy = RetryPolicy.fixed(initial);
        }
        if (a.maxDeliveries() < 0) {
            throw new IllegalArgumentException("maxDeliveries must be at least 1 (0 for the default), was " + a.maxDeliveries());
        }
        return a.maxDeliveries() > 0 ? policy.withMaxDeliveries(a.maxDeliveries()) : policy;
    }

    private static Duration duration(String name, String value) {
        try {
            return DurationStyle.detectAndParse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + " '" + value + "' is not a duration; write e.g. 500ms, 2s or PT2S", e);
        }
    }

    private String resolve(String value) {
        String resolved = beanFactory != null ? beanFactory.resolveEmbeddedValue(value) : value;
        if (resolved != null && resolved.contains("${")) {
            throw new IllegalArgumentException("'" + value + "' has a placeholder that no property resolves");
        }
        return resolved == null ? "" : resolved.trim();
    }

    private Param[] params(Method m) {
        Parameter[] ps = m.getParameters();
        Param[] out = new Param[ps.length];
        List<String> payloads = new ArrayList<>();
        for (int i = 0; i < ps.length; i++) {
            Parameter p = ps[i];
            Class<?> t = p.getType();
            Header h = AnnotatedElementUtils.findMergedAnnotation(p, Header.class);
            if (h != null) {
                TypeDescriptor target = new TypeDescriptor(MethodParameter.forParameter(p));
                if (!conversion.canConvert(TypeDescriptor.valueOf(String.class), target)) {
                    throw new IllegalArgumentException("@Header(\"" + h.value() + "\") parameter " + i + " has type "
                            + t.getName() + ", which a header string does not convert to");
                }
                if (t.isPrimitive() && !h.required()) {
                    throw new IllegalArgumentException("@Header(\"" + h.value() + "\", required = false) parameter " + i
                            + " is a primitive " + t.getName() + " that cannot be null; use its wrapper type");
                }
                out[i] = new Param(Kind.HEADER, h.value(), h.required(), target, null);
            } else if (t == Message.class) {
                out[i] = new Param(Kind.MESSAGE, null, false, null, null);
            } else if (t == Event.class) {
                out[i] = new Param(Kind.EVENT, null, false, null, null);
            } else if (t.isPrimitive() || NOT_PAYLOADS.contains(t.getPackageName()) || t.getName().startsWith("org.springframework.")
                    || t == Object.class || Thread.class.isAssignableFrom(t) || java.util.function.Function.class.isAssignableFrom(t)) {
                throw new IllegalArgumentException("parameter " + i + " has unknown type " + t.getName()
                        + "; a listener takes one payload (a type the codec decodes), Message, Event and @Header(\"name\") values");
            } else {
                payloads.add(p.getParameterizedType().getTypeName() + " (parameter " + i + ")");
                out[i] = new Param(Kind.PAYLOAD, null, false, null, p.getParameterizedType());
            }
        }
        if (payloads.size() > 1) {
            throw new IllegalArgumentException("two payload parameters: " + String.join(", ", payloads)
                    + "; a message has one payload: take the others as Message, Event or @Header(\"name\")");
        }
        return out;
    }

    /** Checks every listener against the broker's capabilities, before anything connects. */
    @Override
    public void afterSingletonsInstantiated() {
        if (endpoints.isEmpty()) {
            return;
        }
        Broker broker = beanFactory.getBean(Broker.class);
        Set<Capability> has = broker.capabilities();
        for (Endpoint e : endpoints) {
            Set<Capability> needs = EnumSet.noneOf(Capability.class);
            if (Topics.isPattern(e.topic)) {
                needs.add(Capability.WILDCARDS);
            }
            if (e.options.queue() != null) {
                needs.add(Capability.QUEUE_GROUPS);
            }
            if (e.options.durable()) {
                needs.add(Capability.DURABLE_SUBSCRIPTIONS);
            }
            if (e.options.deadLetterTopic() != null) {
                needs.add(Capability.DEAD_LETTER);
            }
            if (e.needsAcks) {
                needs.add(Capability.ACKNOWLEDGEMENT);
            }
            if (e.replies) {
                needs.add(Capability.REQUEST_REPLY);
            }
            needs.removeAll(has);
            if (!needs.isEmpty()) {
                throw new IllegalStateException(e.where() + " needs " + needs + ", which the " + broker.name()
                        + " broker at " + broker.address() + " lacks (it has " + has + ")");
            }
        }
    }

    @Override
    public void start() {
        running = true;
        if (endpoints.isEmpty()) {
            return;
        }
        OmnibusBrokerLifecycle lifecycle = beanFactory.getBean(OmnibusBrokerLifecycle.class);
        lifecycle.whenConnected(subscribeAll);
    }

    private synchronized void subscribeAll() {
        if (!running || subscribed) {
            return;
        }
        Broker broker = beanFactory.getBean(Broker.class);
        EventBus bus = beanFactory.getBean(EventBus.class);
        try {
            for (Endpoint e : endpoints) {
                subscriptions.add(e.subscribe(broker, bus));
                LOG.debug("Subscribed {} to '{}'", e.where, e.topic);
            }
        } catch (RuntimeException ex) {
            unsubscribeAll();
            throw ex;
        }
        subscribed = true;
        LOG.info("Omnibus: {} listener(s) subscribed on {}", endpoints.size(), broker.address());
    }

    @Override
    public void stop() {
        if (!endpoints.isEmpty()) {
            beanFactory.getBean(OmnibusBrokerLifecycle.class).removeCallback(subscribeAll);
        }
        synchronized (this) {
            running = false;
            unsubscribeAll();
            subscribed = false;
        }
    }

    /** Unsubscribes all at once, so running calls of every listener finish within one shutdown timeout. */
    private void unsubscribeAll() {
        List<Thread> threads = new ArrayList<>();
        for (Subscription s : subscriptions) {
            Thread t = new Thread(() -> {
                try {
                    s.unsubscribe();
                } catch (RuntimeException e) {
                    LOG.warn("Omnibus: unsubscribing from '{}' failed: {}", s.topic(), e.toString());
                }
            }, "omnibus-unsubscribe-" + s.topic());
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        subscriptions.clear();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return OmnibusBrokerLifecycle.LISTENER_PHASE;
    }

    private enum Kind { PAYLOAD, MESSAGE, EVENT, HEADER }

    private record Param(Kind kind, String header, boolean required, TypeDescriptor target, Type payloadType) {
    }

    private final class Endpoint {
        final Object bean;
        final Method method;
        final String where;
        final String topic;
        final SubscribeOptions options;
        final Param[] params;
        final boolean replies;
        final boolean needsAcks;
        final Type payloadType;

        Endpoint(Object bean, Method method, String where, String topic, SubscribeOptions options, Param[] params,
                boolean replies, boolean needsAcks) {
            this.bean = bean;
            this.method = method;
            this.where = where;
            this.topic = topic;
            this.options = options;
            this.params = params;
            this.replies = replies;
            this.needsAcks = needsAcks;
            Type p = null;
            for (Param param : params) {
                if (param.kind == Kind.PAYLOAD) {
                    p = param.payloadType;
                }
            }
            this.payloadType = p;
        }

        String where() {
            return where;
        }

        Subscription subscribe(Broker broker, EventBus bus) {
            if (payloadType != null) {
                return bus.subscribe(topic, payloadType, (Object value, Event event) -> call(bus, value, event), options);
            }
            return broker.subscribe(topic, event -> call(bus, null, event), options);
        }

        private void call(EventBus bus, Object payload, Event event) throws Exception {
            Object[] args = new Object[params.length];
            for (int i = 0; i < params.length; i++) {
                Param p = params[i];
                args[i] = switch (p.kind) {
                    case PAYLOAD -> payload;
                    case MESSAGE -> event.message();
                    case EVENT -> event;
                    case HEADER -> header(p, event);
                };
            }
            Object result;
            try {
                result = method.invoke(bean, args);
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                if (cause instanceof Exception ex) {
                    throw ex;
                }
                throw (Error) cause;
            }
            if (replies && event.message().header(Headers.REPLY_TO) != null) {
                Message reply = result instanceof Message m ? m
                        : result == null ? Message.of(new byte[0]) : bus.toMessage(result, Map.of());
                event.reply(reply);
            }
        }

        private Object header(Param p, Event event) {
            String value = event.message().header(p.header);
            if (value == null) {
                if (p.required) {
                    throw new IllegalArgumentException("message " + event.message().id() + " on '" + event.topic()
                            + "' has no header '" + p.header + "', which " + where + " requires");
                }
                return null;
            }
            return conversion.convert(value, TypeDescriptor.valueOf(String.class), p.target);
        }
    }
}
