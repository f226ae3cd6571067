package dev.omnibus.broker.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.PublishException;
import dev.omnibus.broker.PublishInterceptor;
import dev.omnibus.broker.RetryPolicy;
import dev.omnibus.broker.SubscribeOptions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Kit group "Retry policy and dead-letter failures": retry policies and dead letters that cannot be published. Run by {@link BrokerCompatibilityKit}; the numbers in
 * the display names are those of the kit's catalogue, {@code broker-tck/BEHAVIOURS.md}.
 */
public abstract class RetryPoliciesTests extends KitGroup {
    protected RetryPoliciesTests(BrokerCompatibilityKit kit) {
        super(kit);
    }
    @Test
    @DisplayName("36. an exponential retry policy: the gaps between attempts stay within the policy's bounds, jitter included, and attempts stop at maxDeliveries")
    void exponentialBackoff() {
        Broker b = connected("a");
        boolean groups = b.capabilities().contains(Capability.QUEUE_GROUPS);
        String topic = topic("backoff");
        RetryPolicy policy = RetryPolicy.exponential(Duration.ofMillis(150), 2.0, Duration.ofMillis(600)).withMaxDeliveries(5);
        List<Long> times = new CopyOnWriteArrayList<>();
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        b.subscribe(topic, e -> {
            times.add(System.nanoTime());
            attempts.add(e.deliveryAttempt());
            throw new IllegalStateException("always failing");
        }, SubscribeOptions.builder().queue(groups ? group("backoff") : null).retry(policy).build());
        b.publish(topic, text("x"));
        await().atMost(t(30_000)).until(() -> times.size() >= 5);
        // quiet for longer than the policy's longest gap: a sixth attempt would show
        await().during(policy.maxDelay().plus(t(1_000))).atMost(t(10_000)).until(() -> times.size() == 5);
        assertThat(attempts).containsExactly(1, 2, 3, 4, 5);
        for (int attempt = 1; attempt < times.size(); attempt++) {
            Duration gap = Duration.ofNanos(times.get(attempt) - times.get(attempt - 1));
            assertThat(gap).as("gap after failed attempt %d of %s", attempt, policy)
                    .isGreaterThanOrEqualTo(policy.minDelayAfter(attempt).minusMillis(30))
                    .isLessThanOrEqualTo(policy.maxDelayAfter(attempt).plus(t(1_000)));
        }
        Duration first = Duration.ofNanos(times.get(1) - times.get(0));
        Duration last = Duration.ofNanos(times.get(4) - times.get(3));
        assertThat(last).as("the delay grows: first gap %s, last gap %s", first, last).isGreaterThan(first);
    }

    @Test
    @DisplayName("37. a failure the retry policy marks non-retryable is dead-lettered at attempt 1 with the reason and the attempt count; other failures are retried")
    void nonRetryable() {
        Broker b = connected("a");
        boolean groups = b.capabilities().contains(Capability.QUEUE_GROUPS);
        boolean deadLetters = b.capabilities().contains(Capability.DEAD_LETTER);
        String topic = topic("fatal");
        String dlt = topic("fatal-dead");
        Inbox dead = new Inbox();
        if (deadLetters) {
            b.subscribe(dlt, dead);
        }
        Map<String, List<Integer>> attempts = new ConcurrentHashMap<>();
        RetryPolicy policy = RetryPolicy.fixed(Duration.ofMillis(100)).withMaxDeliveries(3)
                .nonRetryable(IllegalArgumentException.class);
        b.subscribe(topic, e -> {
            attempts.computeIfAbsent(e.message().bodyAsString(), k -> new CopyOnWriteArrayList<>()).add(e.deliveryAttempt());
            if (e.message().bodyAsString().equals("fatal")) {
                // wrapped: the policy looks through the cause chain
                throw new IllegalStateException("wrapper", new IllegalArgumentException("cannot parse order 42"));
            }
            if (e.deliveryAttempt() < 2) {
                throw new IllegalStateException("transient");
            }
        }, SubscribeOptions.builder().queue(groups ? group("fatal") : null).retry(policy)
                .deadLetterTopic(deadLetters ? dlt : null).build());
        Message fatal = text("fatal");
        b.publish(topic, fatal);
        b.publish(topic, text("transient"));
        await().atMost(t(20_000)).until(() -> attempts.getOrDefault("transient", List.of()).size() >= 2);
        if (deadLetters) {
            dead.awaitCount(1, t(20_000));
            Message got = dead.messages().get(0);
            assertThat(got.id()).isEqualTo(fatal.id());
            assertThat(got.header(Headers.DEAD_LETTER_REASON)).contains("IllegalStateException").contains("wrapper");
            assertThat(got.header(Headers.DEAD_LETTER_ATTEMPTS)).isEqualTo("1");
            assertThat(got.header(Headers.DEAD_LETTER_TOPIC)).isEqualTo(topic);
        }
        await().during(t(700)).atMost(t(10_000)).until(() -> attempts.get("fatal").size() == 1
                && attempts.get("transient").size() == 2);
        assertThat(attempts.get("fatal")).containsExactly(1);
        assertThat(attempts.get("transient")).containsExactly(1, 2);
        if (deadLetters) {
            dead.assertStaysAt(1, t(300));
        }
    }

    @Test
    @DisplayName("38. [DEAD_LETTER] when publishing the dead letter fails, the message is not lost: the worker goes on, one error is logged per failed attempt, and the dead letter arrives once it can be published")
    void deadLetterPublishFails() {
        Broker probe = createBroker(node("probe"));
        assumeCapability(probe, Capability.DEAD_LETTER);
        boolean groups = probe.capabilities().contains(Capability.QUEUE_GROUPS);
        String topic = topic("refused");
        String dlt = topic("refused-dead");
        int refusals = 2;
        AtomicInteger refused = new AtomicInteger();
        // a slow refusal: a rule that publishes the dead letter on the handler's thread would hold up the next message
        PublishInterceptor refuseDeadLetters = chain -> {
            if (chain.topic().equals(dlt) && refused.getAndIncrement() < refusals) {
                try {
                    busy(Duration.ofSeconds(3));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return CompletableFuture.failedFuture(new PublishException("the kit refuses dead letter " + refused.get()));
            }
            return chain.proceed(chain.message());
        };
        Broker b = disconnected("a");
        b.init(b.options().toBuilder().publishInterceptor(refuseDeadLetters).build());
        b.connect();
        Inbox dead = new Inbox();
        b.subscribe(dlt, dead);
        Inbox good = new Inbox();
        AtomicInteger poisonAttempts = new AtomicInteger();
        Message poison = Message.builder().body("poison").header("x-origin", "kit").build();
        try (LogCapture log = LogCapture.start()) {
            b.subscribe(topic, e -> {
                if (e.message().id().equals(poison.id())) {
                    poisonAttempts.incrementAndGet();
                    throw new IllegalStateException("cannot digest poison");
                }
                good.handle(e);
            }, SubscribeOptions.builder().queue(groups ? group("refused") : null)
                    .retry(RetryPolicy.fixed(Duration.ofMillis(50)).withMaxDeliveries(2)).deadLetterTopic(dlt).build());
            b.publish(topic, poison);
            await().atMost(t(20_000)).until(() -> refused.get() >= 1);
            // the refused dead letter holds up nobody: the next message is handled at once
            Message next = text("next");
            b.publish(topic, next);
            good.awaitCount(1, t(2_000));
            dead.awaitCount(1, Duration.ofSeconds(2 * 3 + 2).plus(t(30_000))).assertStaysAt(1, t(500));
            Message got = dead.messages().get(0);
            assertThat(got.id()).isEqualTo(poison.id());
            assertThat(got.header("x-origin")).isEqualTo("kit");
            assertThat(got.header(Headers.DEAD_LETTER_REASON)).contains("cannot digest poison");
            assertThat(Integer.parseInt(got.header(Headers.DEAD_LETTER_ATTEMPTS))).isGreaterThanOrEqualTo(2);
            assertThat(refused.get()).isEqualTo(refusals + 1);
            assertThat(log.count("Could not dead-letter message " + poison.id())).as("one error per refused dead letter")
                    .isEqualTo(refusals);
            assertThat(log.count("Dropping message " + poison.id())).isZero();
        }
    }
}
