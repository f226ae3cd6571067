package dev.omnibus.broker.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Message;
import dev.omnibus.broker.NotConnectedException;
import dev.omnibus.broker.RequestException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("PendingRequests")
class PendingRequestsTest {
    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
    private final PendingRequests pending;

    PendingRequestsTest() {
        timer.setRemoveOnCancelPolicy(true);
        pending = new PendingRequests(timer);
    }

    @AfterEach
    void stopTimer() {
        timer.shutdownNow();
    }

    @Test
    @DisplayName("a reply completes its request; the timeouts share one timer task, gone once nothing is pending")
    void completes() throws Exception {
        CompletableFuture<Message> f = pending.register("c1", "prices.quote", Duration.ofSeconds(30));
        for (int i = 0; i < 100; i++) {
            pending.register("more" + i, "prices.quote", Duration.ofSeconds(30 + i % 3));
        }
        assertThat(pending.size()).isEqualTo(101);
        assertThat(timer.getQueue()).as("one sweep task for every request").hasSize(1);
        Message reply = Message.of("42");
        assertThat(pending.complete("c1", reply)).isTrue();
        assertThat(f.get(1, TimeUnit.SECONDS)).isSameAs(reply);
        for (int i = 0; i < 100; i++) {
            assertThat(pending.complete("more" + i, reply)).isTrue();
        }
        assertThat(pending.size()).isZero();
        await().atMost(Duration.ofSeconds(2)).until(() -> timer.getQueue().isEmpty());
        assertThat(pending.complete("c1", reply)).as("a second reply is dropped").isFalse();
    }

    @Test
    @DisplayName("a request without reply fails with RequestException after its timeout, naming topic and timeout")
    void timesOut() {
        long start = System.nanoTime();
        CompletableFuture<Message> f = pending.register("c2", "prices.quote", Duration.ofMillis(150));
        await().atMost(Duration.ofSeconds(5)).until(f::isDone);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(140);
        assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(RequestException.class)
                .hasMessageContaining("'prices.quote'").hasMessageContaining("PT0.15S")
                .satisfies(e -> assertThat(((RequestException) e).noResponders()).isFalse());
        assertThat(pending.size()).isZero();
        assertThat(pending.complete("c2", Message.of("late"))).as("late reply dropped").isFalse();
    }

    @Test
    @DisplayName("replies for unknown or null correlation ids are dropped")
    void unknownDropped() {
        CompletableFuture<Message> f = pending.register("known", "t", Duration.ofSeconds(30));
        assertThat(pending.complete("unknown", Message.of("x"))).isFalse();
        assertThat(pending.complete(null, Message.of("x"))).isFalse();
        assertThat(f).isNotDone();
        assertThat(pending.size()).isEqualTo(1);
    }

    @Test
    @DisplayName("fail fails one request at once; failing an unknown id does nothing")
    void failOne() {
        CompletableFuture<Message> a = pending.register("a", "t", Duration.ofSeconds(30));
        CompletableFuture<Message> b = pending.register("b", "t", Duration.ofSeconds(30));
        RequestException cause = new RequestException("nobody", true);
        pending.fail("a", cause);
        pending.fail("nope", cause);
        assertThat(a).isCompletedExceptionally();
        assertThatThrownBy(a::join).cause().isSameAs(cause);
        assertThat(b).isNotDone();
        assertThat(pending.size()).isEqualTo(1);
    }

    @Test
    @DisplayName("failAll fails every pending request with the given cause")
    void failAll() {
        CompletableFuture<Message> a = pending.register("a", "t", Duration.ofSeconds(30));
        CompletableFuture<Message> b = pending.register("b", "u", Duration.ofSeconds(30));
        NotConnectedException cause = new NotConnectedException("disconnected");
        pending.failAll(cause);
        assertThatThrownBy(a::join).cause().isSameAs(cause);
        assertThatThrownBy(b::join).cause().isSameAs(cause);
        assertThat(pending.size()).isZero();
        await().atMost(Duration.ofSeconds(2)).until(() -> timer.getQueue().isEmpty());
    }

    @Test
    @DisplayName("a request its caller cancels is forgotten when its timeout passes, and a late reply is dropped")
    void cancelledByCaller() {
        CompletableFuture<Message> f = pending.register("c9", "prices.quote", Duration.ofMillis(100));
        assertThat(f.cancel(false)).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> pending.size() == 0);
        assertThat(pending.complete("c9", Message.of("late"))).isFalse();
        assertThat(f.isCancelled()).isTrue();
    }

    @Test
    @DisplayName("what the caller chains on a request is a plain future completed with the reply")
    void chained() throws Exception {
        CompletableFuture<Message> f = pending.register("c10", "prices.quote", Duration.ofSeconds(30));
        CompletableFuture<String> body = f.thenApply(Message::bodyAsString);
        pending.complete("c10", Message.of("42"));
        assertThat(body.get(1, TimeUnit.SECONDS)).isEqualTo("42");
        await().atMost(Duration.ofSeconds(2)).until(() -> timer.getQueue().isEmpty());
    }

    @Test
    @DisplayName("requests with more distinct timeouts than the sweep keeps lanes for still time out, each after its own")
    void manyDistinctTimeouts() {
        int n = DeadlineSweep.MAX_LANES + 10;
        long start = System.nanoTime();
        java.util.List<CompletableFuture<Message>> fs = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            fs.add(pending.register("d" + i, "t", Duration.ofMillis(100 + i)));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> fs.stream().allMatch(CompletableFuture::isDone));
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(100 + n - 1);
        assertThat(fs).allSatisfy(f -> assertThatThrownBy(f::join).cause().isInstanceOf(RequestException.class));
        assertThat(pending.size()).isZero();
    }
}
