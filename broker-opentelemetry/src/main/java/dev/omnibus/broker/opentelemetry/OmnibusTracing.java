package dev.omnibus.broker.opentelemetry;

import dev.omnibus.broker.Event;
import dev.omnibus.broker.HandlerInterceptor;
import dev.omnibus.broker.Instrumentation;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.PublishInterceptor;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Trace propagation for an Omnibus broker with the OpenTelemetry API: W3C trace context
 * ({@code traceparent}, {@code tracestate}) travels in the message headers, so a trace follows a
 * message from the publisher to every subscriber, across processes and backends, and a Go or
 * Node service with its own OpenTelemetry instrumentation joins the same trace.
 *
 * <pre>{@code
 * OmnibusTracing tracing = OmnibusTracing.create(openTelemetry);
 * Broker broker = Brokers.create(tracing.instrument(BrokerOptions.builder().url("amqp://127.0.0.1:5672")).build());
 * }</pre>
 *
 * <p>What is promised:
 * <ul>
 *   <li>{@link #publishInterceptor()}: every publish and publishAsync gets a {@link SpanKind#PRODUCER}
 *       span named {@code send <topic>}, a child of the current span (or, when there is none, of
 *       the trace context already in the message's headers, so a relay keeps the trace). Its
 *       context is injected into the headers, replacing any there. The span ends when the broker
 *       accepted the message (the future completing, for publishAsync), with status ERROR and the
 *       exception recorded when the publish failed.</li>
 *   <li>{@link #handlerInterceptor()}: every delivery (each redelivery too) runs in a
 *       {@link SpanKind#CONSUMER} span named {@code process <pattern>}, a child of the context
 *       extracted from the headers (a root span when the message carries none). The span is current
 *       while the handler runs, so what the handler publishes continues the trace. A handler (or
 *       inner interceptor) that throws sets status ERROR and records the exception; the exception
 *       still propagates, so the delivery is nacked as usual.</li>
 *   <li>Attributes follow the OpenTelemetry messaging conventions: {@code messaging.system} (the
 *       backend name), {@code messaging.destination.name} (the concrete topic),
 *       {@code messaging.destination.template} (the subscription pattern, consumer side),
 *       {@code messaging.operation.type} ({@code send} / {@code process}),
 *       {@code messaging.message.id}, {@code messaging.consumer.group.name} (the queue group),
 *       {@code messaging.message.body.size}, plus {@code omnibus.delivery_attempt}.</li>
 * </ul>
 * Requests ({@code Broker.request}) do not pass through publish interceptors and are not traced
 * on the requesting side; the responder's handler still gets a consumer span (a root span). Thread-safe.
 */
public final class OmnibusTracing implements Instrumentation {
    /** The instrumentation scope name of the tracer. */
    public static final String INSTRUMENTATION_NAME = "dev.omnibus.broker.opentelemetry";

    static final AttributeKey<String> MESSAGING_SYSTEM = AttributeKey.stringKey("messaging.system");
    static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
    static final AttributeKey<String> DESTINATION_TEMPLATE = AttributeKey.stringKey("messaging.destination.template");
    static final AttributeKey<String> OPERATION_TYPE = AttributeKey.stringKey("messaging.operation.type");
    static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
    static final AttributeKey<String> CONSUMER_GROUP = AttributeKey.stringKey("messaging.consumer.group.name");
    static final AttributeKey<Long> BODY_SIZE = AttributeKey.longKey("messaging.message.body.size");
    static final AttributeKey<Long> DELIVERY_ATTEMPT = AttributeKey.longKey("omnibus.delivery_attempt");

    private static final TextMapSetter<Message.Builder> SETTER = (builder, key, value) -> {
        if (builder != null) {
            builder.header(key, value);
        }
    };
    private static final TextMapGetter<Message> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Message message) {
            return message.headers().keySet();
        }

        @Override
        public String get(Message message, String key) {
            return message == null ? null : message.header(key);
        }
    };

    private final Tracer tracer;
    private final TextMapPropagator propagator;
    private final Function<String, String> publishSpanTopic;
    private final HandlerInterceptor handlerInterceptor = this::intercept;
    private final PublishInterceptor publishInterceptor = this::interceptPublish;

    private OmnibusTracing(Builder b) {
        this.tracer = b.openTelemetry.getTracer(INSTRUMENTATION_NAME);
        this.propagator = b.propagator;
        this.publishSpanTopic = b.publishSpanTopic;
    }

    /** Tracing with {@code openTelemetry}'s tracer and the W3C trace-context propagator. */
    public static OmnibusTracing create(OpenTelemetry openTelemetry) {
        return builder(openTelemetry).build();
    }

    public static Builder builder(OpenTelemetry openTelemetry) {
        return new Builder(openTelemetry);
    }

    /** Starts a consumer span per delivery from the message's trace context. */
    @Override
    public HandlerInterceptor handlerInterceptor() {
        return handlerInterceptor;
    }

    /** Starts a producer span per publish and injects its context into the message headers. */
    @Override
    public PublishInterceptor publishInterceptor() {
        return publishInterceptor;
    }


    private CompletableFuture<Void> interceptPublish(PublishInterceptor.Chain chain) {
        Message message = chain.message();
        Context parent = Context.current();
        if (!Span.fromContext(parent).getSpanContext().isValid()) {
            parent = propagator.extract(parent, message, GETTER);
        }
        Span span = tracer.spanBuilder("send " + publishSpanTopic.apply(chain.topic()))
                .setSpanKind(SpanKind.PRODUCER)
                .setParent(parent)
                .setAttribute(MESSAGING_SYSTEM, chain.brokerName())
                .setAttribute(DESTINATION, chain.topic())
                .setAttribute(OPERATION_TYPE, "send")
                .setAttribute(MESSAGE_ID, message.id())
                .setAttribute(BODY_SIZE, (long) message.size())
                .startSpan();
        Context context = parent.with(span);
        Message.Builder traced = message.toBuilder();
        propagator.inject(context, traced, SETTER);
        CompletableFuture<Void> sent;
        Scope scope = context.makeCurrent();
        try {
            sent = chain.proceed(traced.build());
        } catch (RuntimeException | Error e) {
            fail(span, e);
            span.end();
            throw e;
        } finally {
            scope.close();
        }
        return sent.whenComplete((ok, failure) -> {
            if (failure != null) {
                fail(span, unwrap(failure));
            }
            span.end();
        });
    }

    private void intercept(HandlerInterceptor.Chain chain) throws Exception {
        Event event = chain.event();
        Message message = event.message();
        Context parent = propagator.extract(Context.current(), message, GETTER);
        SpanBuilder builder = tracer.spanBuilder("process " + chain.pattern())
                .setSpanKind(SpanKind.CONSUMER)
                .setParent(parent)
                .setAttribute(MESSAGING_SYSTEM, chain.brokerName())
                .setAttribute(DESTINATION, event.topic())
                .setAttribute(DESTINATION_TEMPLATE, chain.pattern())
                .setAttribute(OPERATION_TYPE, "process")
                .setAttribute(MESSAGE_ID, message.id())
                .setAttribute(BODY_SIZE, (long) message.size())
                .setAttribute(DELIVERY_ATTEMPT, (long) event.deliveryAttempt());
        if (chain.queue() != null) {
            builder.setAttribute(CONSUMER_GROUP, chain.queue());
        }
        Span span = builder.startSpan();
        Scope scope = parent.with(span).makeCurrent();
        try {
            chain.proceed(event);
        } catch (Throwable t) {
            fail(span, t);
            throw t;
        } finally {
            scope.close();
            span.end();
        }
    }

    private static void fail(Span span, Throwable t) {
        span.recordException(t);
        span.setStatus(StatusCode.ERROR, String.valueOf(t.getMessage()));
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    /** Builds {@link OmnibusTracing}. */
    public static final class Builder {
        private final OpenTelemetry openTelemetry;
        private TextMapPropagator propagator = W3CTraceContextPropagator.getInstance();
        private Function<String, String> publishSpanTopic = Function.identity();

        private Builder(OpenTelemetry openTelemetry) {
            this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry must not be null");
        }

        /**
         * The propagator that writes and reads the headers; default
         * {@link W3CTraceContextPropagator}. Pass {@code openTelemetry.getPropagators().getTextMapPropagator()}
         * to use what the SDK is configured with (e.g. W3C baggage as well).
         */
        public Builder propagator(TextMapPropagator propagator) {
            this.propagator = Objects.requireNonNull(propagator, "propagator must not be null");
            return this;
        }

        /**
         * How a published topic appears in the producer span's name ({@code send <result>});
         * default the topic itself. Give a function returning a pattern when topics carry ids, to
         * keep span names few. The {@code messaging.destination.name} attribute is always the topic.
         */
        public Builder publishSpanTopic(Function<String, String> topicToName) {
            this.publishSpanTopic = Objects.requireNonNull(topicToName, "topicToName must not be null");
            return this;
        }

        public OmnibusTracing build() {
            return new OmnibusTracing(this);
        }
    }
}
