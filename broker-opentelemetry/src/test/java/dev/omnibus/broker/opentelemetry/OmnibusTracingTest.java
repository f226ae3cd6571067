package dev.omnibus.broker.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Event;
import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.MessageTooLargeException;
import dev.omnibus.broker.SubscribeOptions;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Trace propagation between two memory broker instances on one shared bus, acting as two
 * services; spans read back from the SDK's {@link InMemorySpanExporter}.
 */
@DisplayName("OmnibusTracing across two brokers on a shared memory bus")
class OmnibusTracingTest {
    private static final AtomicInteger BUS = new AtomicInteger();

    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final SdkTracerProvider tracerProvider = SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
    private final OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(tracerProvider).build();
    private final OmnibusTracing tracing = OmnibusTracing.create(otel);
    private final Tracer testTracer = otel.getTracer("test");
    private final String url = "memory://otel-" + BUS.incrementAndGet();
    private final List<Broker> brokers = new CopyOnWriteArrayList<>();

    private Broker broker(String nodeId) {
        Broker b = Brokers.create(tracing.instrument(BrokerOptions.builder().url(url).nodeId(nodeId)).build());
        b.connect();
        brokers.add(b);
        return b;
    }

    @AfterEach
    void close() {
        brokers.forEach(Broker::disconnect);
        tracerProvider.close();
    }

    private SpanData only(SpanKind kind, String name) {
        List<SpanData> spans = exporter.getFinishedSpanItems().stream()
                .filter(s -> s.getKind() == kind && s.getName().equals(name)).toList();
        assertThat(spans).as("%s spans named '%s' among %s", kind, name, exporter.getFinishedSpanItems()).hasSize(1);
        return spans.get(0);
    }

    private void awaitSpans(int count) {
        await().atMost(Duration.ofSeconds(5)).until(() -> exporter.getFinishedSpanItems().size() >= count);
    }

    @Test
    @DisplayName("the consumer span on the other broker is a child of the producer span, in the same trace")
    void propagates() throws Exception {
        Broker shop = broker("shop");
        Broker billing = broker("billing");
        BlockingQueue<Event> got = new LinkedBlockingQueue<>();
        billing.subscribe("orders.*", got::add, SubscribeOptions.builder().queue("billing").build());
        shop.publish("orders.created", Message.builder().id("m-1").body("{\"id\":42}").build());

        Event e = got.poll(5, TimeUnit.SECONDS);
        assertThat(e).isNotNull();
        awaitSpans(2);
        SpanData producer = only(SpanKind.PRODUCER, "send orders.created");
        SpanData consumer = only(SpanKind.CONSUMER, "process orders.*");
        assertThat(consumer.getTraceId()).isEqualTo(producer.getTraceId());
        assertThat(consumer.getParentSpanId()).isEqualTo(producer.getSpanId());
        assertThat(e.message().header(Headers.TRACEPARENT))
                .as("version 00, the producer's ids, then the trace flags (sampled)")
                .startsWith("00-" + producer.getTraceId() + "-" + producer.getSpanId() + "-");

        assertThat(producer.getAttributes().get(OmnibusTracing.MESSAGING_SYSTEM)).isEqualTo("memory");
        assertThat(producer.getAttributes().get(OmnibusTracing.DESTINATION)).isEqualTo("orders.created");
        assertThat(producer.getAttributes().get(OmnibusTracing.MESSAGE_ID)).isEqualTo("m-1");
        assertThat(consumer.getAttributes().get(OmnibusTracing.DESTINATION)).isEqualTo("orders.created");
        assertThat(consumer.getAttributes().get(OmnibusTracing.DESTINATION_TEMPLATE)).isEqualTo("orders.*");
        assertThat(consumer.getAttributes().get(OmnibusTracing.CONSUMER_GROUP)).isEqualTo("billing");
        assertThat(consumer.getAttributes().get(OmnibusTracing.DELIVERY_ATTEMPT)).isEqualTo(1L);
        assertThat(consumer.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    }

    @Test
    @DisplayName("the producer span is a child of the publisher's current span")
    void childOfCurrent() {
        Broker shop = broker("shop");
        Broker billing = broker("billing");
        billing.subscribe("orders.created", e -> { });
        Span request = testTracer.spanBuilder("HTTP POST /orders").startSpan();
        Scope scope = request.makeCurrent();
        try {
            shop.publish("orders.created", Message.of("x"));
        } finally {
            scope.close();
            request.end();
        }
        awaitSpans(3);
        SpanData producer = only(SpanKind.PRODUCER, "send orders.created");
        SpanData consumer = only(SpanKind.CONSUMER, "process orders.created");
        assertThat(producer.getParentSpanId()).isEqualTo(request.getSpanContext().getSpanId());
        assertThat(consumer.getTraceId()).isEqualTo(request.getSpanContext().getTraceId());
    }

    @Test
    @DisplayName("what a handler publishes continues the trace: its producer span is a child of the consumer span")
    void continuesInHandler() {
        Broker shop = broker("shop");
        Broker billing = broker("billing");
        billing.subscribe("orders.created", e -> billing.publish("invoices.created", Message.of("invoice")));
        shop.subscribe("invoices.created", e -> { });
        shop.publish("orders.created", Message.of("x"));
        awaitSpans(4);
        SpanData firstProducer = only(SpanKind.PRODUCER, "send orders.created");
        SpanData firstConsumer = only(SpanKind.CONSUMER, "process orders.created");
        SpanData secondProducer = only(SpanKind.PRODUCER, "send invoices.created");
        SpanData secondConsumer = only(SpanKind.CONSUMER, "process invoices.created");
        assertThat(List.of(firstConsumer, secondProducer, secondConsumer))
                .allSatisfy(s -> assertThat(s.getTraceId()).isEqualTo(firstProducer.getTraceId()));
        assertThat(secondProducer.getParentSpanId()).isEqualTo(firstConsumer.getSpanId());
        assertThat(secondConsumer.getParentSpanId()).isEqualTo(secondProducer.getSpanId());
    }

    @Test
    @DisplayName("a failing handler marks each attempt's consumer span ERROR with the exception; the delivery is still retried")
    void handlerFailure() {
        Broker shop = broker("shop");
        Broker billing = broker("billing");
        AtomicInteger attempts = new AtomicInteger();
        billing.subscribe("orders.created", e -> {
            attempts.incrementAndGet();
            throw new IllegalStateException("no stock");
        }, SubscribeOptions.builder().maxDeliveries(2).redeliveryDelay(Duration.ofMillis(10)).build());
        shop.publish("orders.created", Message.of("x"));
        awaitSpans(3);
        assertThat(attempts).hasValue(2);
        SpanData producer = only(SpanKind.PRODUCER, "send orders.created");
        List<SpanData> consumers = exporter.getFinishedSpanItems().stream().filter(s -> s.getKind() == SpanKind.CONSUMER).toList();
        assertThat(consumers).hasSize(2).allSatisfy(c -> {
            assertThat(c.getParentSpanId()).isEqualTo(producer.getSpanId());
            assertThat(c.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(c.getEvents()).anySatisfy(ev -> assertThat(ev.getName()).isEqualTo("exception"));
        });
        assertThat(consumers).extracting(c -> c.getAttributes().get(OmnibusTracing.DELIVERY_ATTEMPT)).containsExactlyInAnyOrder(1L, 2L);
    }

    @Test
    @DisplayName("a message without trace context gets a root consumer span")
    void noContext() throws Exception {
        Broker plain = Brokers.create(BrokerOptions.builder().url(url).build());
        plain.connect();
        brokers.add(plain);
        Broker billing = broker("billing");
        BlockingQueue<Event> got = new LinkedBlockingQueue<>();
        billing.subscribe("orders.created", got::add);
        plain.publish("orders.created", Message.of("x"));
        assertThat(got.poll(5, TimeUnit.SECONDS)).isNotNull();
        awaitSpans(1);
        SpanData consumer = only(SpanKind.CONSUMER, "process orders.created");
        assertThat(consumer.getParentSpanContext().isValid()).isFalse();
    }

    @Test
    @DisplayName("a relayed message keeps its trace when no span is current")
    void relay() throws Exception {
        Broker relay = broker("relay");
        Broker billing = broker("billing");
        BlockingQueue<Event> got = new LinkedBlockingQueue<>();
        billing.subscribe("orders.created", got::add);
        String upstreamTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
        relay.publish("orders.created", Message.builder().header(Headers.TRACEPARENT, "00-" + upstreamTrace + "-00f067aa0ba902b7-01").build());
        assertThat(got.poll(5, TimeUnit.SECONDS)).isNotNull();
        awaitSpans(2);
        SpanData producer = only(SpanKind.PRODUCER, "send orders.created");
        assertThat(producer.getTraceId()).isEqualTo(upstreamTrace);
        assertThat(producer.getParentSpanId()).isEqualTo("00f067aa0ba902b7");
    }

    @Test
    @DisplayName("a refused publish ends the producer span with ERROR, for publish and for publishAsync")
    void publishFailure() {
        Broker small = Brokers.create(tracing.instrument(BrokerOptions.builder().url(url + "?maxMessageBytes=5000")).build());
        small.connect();
        brokers.add(small);
        assertThatThrownBy(() -> small.publish("files.upload", Message.of(new byte[6000]))).isInstanceOf(MessageTooLargeException.class);
        assertThat(small.publishAsync("files.upload", Message.of(new byte[6000]))).isCompletedExceptionally();
        List<SpanData> producers = exporter.getFinishedSpanItems();
        assertThat(producers).hasSize(2).allSatisfy(p -> {
            assertThat(p.getKind()).isEqualTo(SpanKind.PRODUCER);
            assertThat(p.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(p.getEvents()).anySatisfy(ev -> assertThat(ev.getAttributes().asMap().toString()).contains("MessageTooLargeException"));
        });
    }

    @Test
    @DisplayName("a custom propagator and span topic are honoured")
    void configurable() throws Exception {
        OmnibusTracing custom = OmnibusTracing.builder(otel).publishSpanTopic(t -> t.substring(0, t.indexOf('.')) + ".>").build();
        Broker pub = Brokers.create(BrokerOptions.builder().url(url).publishInterceptor(custom.publishInterceptor()).build());
        pub.connect();
        brokers.add(pub);
        Broker sub = broker("sub");
        BlockingQueue<Event> got = new LinkedBlockingQueue<>();
        sub.subscribe("orders.>", got::add);
        pub.publish("orders.created.42", Message.of("x"));
        Event e = got.poll(5, TimeUnit.SECONDS);
        assertThat(e).isNotNull();
        awaitSpans(2);
        SpanData producer = only(SpanKind.PRODUCER, "send orders.>");
        assertThat(producer.getAttributes().get(OmnibusTracing.DESTINATION)).isEqualTo("orders.created.42");
        SpanContext fromHeader = Span.fromContext(io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator.getInstance()
                .extract(io.opentelemetry.context.Context.root(), e.message(), new io.opentelemetry.context.propagation.TextMapGetter<Message>() {
                    @Override
                    public Iterable<String> keys(Message m) {
                        return m.headers().keySet();
                    }

                    @Override
                    public String get(Message m, String key) {
                        return m.header(key);
                    }
                })).getSpanContext();
        assertThat(fromHeader.getSpanId()).isEqualTo(producer.getSpanId());
    }
}
