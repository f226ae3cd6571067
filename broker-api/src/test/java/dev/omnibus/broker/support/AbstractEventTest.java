package dev.omnibus.broker.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.omnibus.broker.Headers;
import dev.omnibus.broker.LogCapture;
import dev.omnibus.broker.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

@DisplayName("AbstractEvent")
class AbstractEventTest {

    static final class TestEvent extends AbstractEvent {
        final AtomicInteger acks = new AtomicInteger();
        final AtomicInteger nacks = new AtomicInteger();
        final List<Throwable> causes = new CopyOnWriteArrayList<>();
        final List<String> replyTos = new CopyOnWriteArrayList<>();
        final List<Message> replies = new CopyOnWriteArrayList<>();

        TestEvent(Message message) {
            super("orders.created", message, 2);
        }

        @Override
        protected void onAck() {
            acks.incrementAndGet();
        }

        @Override
        protected void onNack(Throwable cause) {
            nacks.incrementAndGet();
            causes.add(cause == null ? new NullMarker() : cause);
        }

        @Override
        protected void sendReply(String replyTo, Message reply) {
            replyTos.add(replyTo);
            replies.add(reply);
        }

        boolean takeBack() {
            return reclaim();
        }
    }

    static final class NullMarker extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    private final TestEvent event = new TestEvent(Message.of("body"));

    @Test
    @DisplayName("exposes the concrete topic, the message and the delivery attempt")
    void accessors() {
        assertThat(event.topic()).isEqualTo("orders.created");
        assertThat(event.message().bodyAsString()).isEqualTo("body");
        assertThat(event.deliveryAttempt()).isEqualTo(2);
        assertThat(event.isSettled()).isFalse();
    }

    @Test
    @DisplayName("the first ack wins: later acks and nacks are ignored")
    void ackFirst() {
        event.ack();
        event.ack();
        event.nack();
        event.fail(new RuntimeException());
        assertThat(event.acks).hasValue(1);
        assertThat(event.nacks).hasValue(0);
        assertThat(event.isSettled()).isTrue();
    }

    @Test
    @DisplayName("the first nack wins: later acks are ignored, and an explicit nack has no cause")
    void nackFirst() {
        event.nack();
        event.ack();
        event.nack();
        assertThat(event.nacks).hasValue(1);
        assertThat(event.acks).hasValue(0);
        assertThat(event.causes).singleElement().isInstanceOf(NullMarker.class);
    }

    @RepeatedTest(20)
    @DisplayName("racing acks and nacks from many threads settle exactly once")
    void settleOnceUnderRace() throws Exception {
        TestEvent e = new TestEvent(Message.of("x"));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> fs = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                boolean ack = i % 2 == 0;
                fs.add(pool.submit(() -> {
                    go.await();
                    if (ack) {
                        e.ack();
                    } else {
                        e.nack();
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : fs) {
                f.get(5, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(e.acks.get() + e.nacks.get()).isEqualTo(1);
    }

    @Test
    @DisplayName("reclaim takes an open event without calling onAck/onNack, and fails once the event is settled")
    void reclaim() {
        assertThat(event.takeBack()).isTrue();
        event.ack();
        event.nack();
        assertThat(event.acks).hasValue(0);
        assertThat(event.nacks).hasValue(0);
        TestEvent acked = new TestEvent(Message.of("x"));
        acked.ack();
        assertThat(acked.takeBack()).isFalse();
    }

    @Test
    @DisplayName("handleWith auto-ack: a handler that returns acks")
    void autoAckOnReturn() {
        event.handleWith(e -> { }, true);
        assertThat(event.acks).hasValue(1);
        assertThat(event.nacks).hasValue(0);
    }

    @Test
    @DisplayName("handleWith without auto-ack leaves a returning handler's event open")
    void manualAckLeavesOpen() {
        event.handleWith(e -> { }, false);
        assertThat(event.isSettled()).isFalse();
        event.ack();
        assertThat(event.acks).hasValue(1);
    }

    @Test
    @DisplayName("handleWith: a handler that throws an Exception nacks with that cause, logs it and does not propagate")
    void exceptionNacks() {
        Exception boom = new Exception("boom");
        try (LogCapture log = LogCapture.start()) {
            event.handleWith(e -> {
                throw boom;
            }, true);
            assertThat(log.text()).contains("Handler failed on message " + event.message().id())
                    .contains("'orders.created'").contains("attempt 2").contains("boom");
        }
        assertThat(event.nacks).hasValue(1);
        assertThat(event.acks).hasValue(0);
        assertThat(event.causes).containsExactly(boom);
    }

    @Test
    @DisplayName("handleWith: an Error in the handler is caught and nacks, also without auto-ack")
    void errorNacks() {
        Error error = new StackOverflowError("simulated");
        try (LogCapture ignored = LogCapture.start()) {
            event.handleWith(e -> {
                throw error;
            }, false);
        }
        assertThat(event.nacks).hasValue(1);
        assertThat(event.causes).containsExactly(error);
    }

    @Test
    @DisplayName("handleWith: a handler that acks and then throws stays acked")
    void ackThenThrow() {
        try (LogCapture ignored = LogCapture.start()) {
            event.handleWith(e -> {
                e.ack();
                throw new IllegalStateException("after ack");
            }, true);
        }
        assertThat(event.acks).hasValue(1);
        assertThat(event.nacks).hasValue(0);
    }

    @Test
    @DisplayName("handleWith: a handler that nacks and returns is not acked by auto-ack")
    void nackThenReturn() {
        event.handleWith(e -> e.nack(), true);
        assertThat(event.nacks).hasValue(1);
        assertThat(event.acks).hasValue(0);
    }

    @Test
    @DisplayName("reply to a message not sent with request() is an IllegalStateException and sends nothing")
    void replyWithoutReplyTo() {
        assertThatThrownBy(() -> event.reply(Message.of("answer")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(event.message().id())
                .hasMessageContaining("'orders.created'")
                .hasMessageContaining("not sent with request()");
        assertThat(event.replies).isEmpty();
    }

    @Test
    @DisplayName("reply goes to the reply-to topic carrying the request's correlation id, keeping the reply's headers")
    void replyCarriesCorrelationId() {
        TestEvent request = new TestEvent(Message.builder().header(Headers.REPLY_TO, "_INBOX.n1.7")
                .correlationId("corr-9").body("q").build());
        request.reply(Message.builder().header("x-price", "12").body("a").build());
        assertThat(request.replyTos).containsExactly("_INBOX.n1.7");
        Message reply = request.replies.get(0);
        assertThat(reply.header(Headers.CORRELATION_ID)).isEqualTo("corr-9");
        assertThat(reply.header("x-price")).isEqualTo("12");
        assertThat(reply.bodyAsString()).isEqualTo("a");
    }

    @Test
    @DisplayName("without a correlation-id header the reply is correlated by the request's message id")
    void replyFallsBackToMessageId() {
        Message m = Message.builder().id("req-1").header(Headers.REPLY_TO, "_INBOX.x").build();
        TestEvent request = new TestEvent(m);
        request.reply(Message.of("a"));
        assertThat(request.replies.get(0).header(Headers.CORRELATION_ID)).isEqualTo("req-1");
    }

    @Test
    @DisplayName("reply(null) is a NullPointerException")
    void replyNull() {
        assertThatThrownBy(() -> event.reply(null)).isInstanceOf(NullPointerException.class);
    }
}
