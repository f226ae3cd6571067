package dev.omnibus.broker.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.Headers;
import dev.omnibus.broker.LogCapture;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.PublishException;
import dev.omnibus.broker.RetryPolicy;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.TrivialBroker;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The decisions of the shared rule, seen through the verbs a backend supplies. */
class DeliveryRuleTest {
    private final List<String> verbs = new CopyOnWriteArrayList<>();
    private final AtomicInteger refuseDeadLetters = new AtomicInteger();
    private TrivialBroker broker;

    private final DeliveryRule.Backend<String> backend = new DeliveryRule.Backend<>() {
        @Override
        public void redeliver(Delivery<String> d, Duration delay) {
            verbs.add("redeliver " + d.handle() + " #" + d.deliveryAttempt() + " after " + delay.toMillis() + "ms");
        }

        @Override
        public void settle(Delivery<String> d, DeliveryRule.Outcome outcome) {
            verbs.add("settle " + d.handle() + " " + outcome);
        }

        @Override
        public void giveBack(Delivery<String> d, boolean started) {
            verbs.add("giveBack " + d.handle() + (started ? " started" : " unstarted"));
        }

        @Override
        public void reply(String replyTo, Message reply) {
            verbs.add("reply " + replyTo);
        }
    };

    private DeliveryRule<String> rule(SubscribeOptions options, dev.omnibus.broker.Handler handler) {
        broker = new TrivialBroker("trivial", BrokerOptions.builder().url("trivial:").publishInterceptor(chain ->
                refuseDeadLetters.getAndDecrement() > 0 ? CompletableFuture.failedFuture(new PublishException("refused"))
                        : chain.proceed(chain.message())).build(), EnumSet.allOf(Capability.class));
        broker.connect();
        return new DeliveryRule<>(broker, "t", handler, options, 16, backend);
    }

    @AfterEach
    void tearDown() {
        if (broker != null) {
            broker.disconnect();
        }
    }

    @Test
    void successSettlesAsHandled() {
        DeliveryRule<String> r = rule(SubscribeOptions.defaults(), e -> { });
        r.offer("t", Message.of("x"), 1, "m1");
        await().atMost(Duration.ofSeconds(5)).until(() -> verbs.contains("settle m1 HANDLED"));
        r.close(Duration.ofSeconds(1));
        assertThat(verbs).containsExactly("settle m1 HANDLED");
    }

    @Test
    void aRetryableFailureIsRedeliveredAfterThePolicysDelay() {
        DeliveryRule<String> r = rule(SubscribeOptions.builder().retry(RetryPolicy.exponential(Duration.ofMillis(100), 3, Duration.ofSeconds(1))
                .withJitter(0)).build(), e -> {
                    throw new IllegalStateException("boom");
                });
        r.offer("t", Message.of("x"), 2, "m1");
        await().atMost(Duration.ofSeconds(5)).until(() -> !verbs.isEmpty());
        assertThat(verbs).containsExactly("redeliver m1 #2 after 300ms");
    }

    @Test
    void theLastAttemptIsDeadLetteredThenSettled() {
        DeliveryRule<String> r = rule(SubscribeOptions.builder().maxDeliveries(3).deadLetterTopic("dead.t").build(), e -> {
            throw new IllegalStateException("boom");
        });
        r.offer("t", Message.of("x"), 3, "m1");
        await().atMost(Duration.ofSeconds(5)).until(() -> !verbs.isEmpty());
        assertThat(verbs).containsExactly("settle m1 DEAD_LETTERED");
        assertThat(broker.published).containsExactly("dead.t");
    }

    @Test
    void aNonRetryableFailureIsDeadLetteredAtOnce() {
        DeliveryRule<String> r = rule(SubscribeOptions.builder().retry(RetryPolicy.defaults().nonRetryable(IllegalArgumentException.class))
                .deadLetterTopic("dead.t").build(), e -> {
                    throw new IllegalArgumentException("bad");
                });
        r.offer("t", Message.of("x"), 1, "m1");
        await().atMost(Duration.ofSeconds(5)).until(() -> !verbs.isEmpty());
        assertThat(verbs).containsExactly("settle m1 DEAD_LETTERED");
    }

    @Test
    void withoutADeadLetterTopicTheMessageIsDroppedWithOneError() {
        try (LogCapture log = LogCapture.start()) {
            DeliveryRule<String> r = rule(SubscribeOptions.builder().maxDeliveries(1).build(), e -> {
                throw new IllegalStateException("boom");
            });
            Message m = Message.of("x");
            r.offer("t", m, 1, "m1");
            await().atMost(Duration.ofSeconds(5)).until(() -> !verbs.isEmpty());
            assertThat(verbs).containsExactly("settle m1 DROPPED");
            assertThat(log.count("Dropping message " + m.id())).isEqualTo(1);
        }
    }

    @Test
    void aDeadLetterThatCannotBePublishedStaysUnsettledAndIsDeliveredAgainNoSoonerThanTheFloor() {
        refuseDeadLetters.set(1);
        try (LogCapture log = LogCapture.start()) {
            DeliveryRule<String> r = rule(SubscribeOptions.builder().maxDeliveries(1).redeliveryDelay(Duration.ZERO)
                    .deadLetterTopic("dead.t").build(), e -> {
                        throw new IllegalStateException("boom");
                    });
            Message m = Message.of("x");
            r.offer("t", m, 1, "m1");
            await().atMost(Duration.ofSeconds(5)).until(() -> !verbs.isEmpty());
            assertThat(verbs).containsExactly("redeliver m1 #1 after " + DeliveryRule.DEAD_LETTER_RETRY_FLOOR.toMillis() + "ms");
            assertThat(log.count("Could not dead-letter message " + m.id())).isEqualTo(1);
            assertThat(broker.published).isEmpty();
        }
    }

    @Test
    void closingGivesBackWhatWasNotStartedAndWhatManualAckLeftUnsettled() throws InterruptedException {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<dev.omnibus.broker.Event> held = new CopyOnWriteArrayList<>();
        DeliveryRule<String> r = rule(SubscribeOptions.builder().autoAck(false).build(), e -> {
            held.add(e);
            started.countDown();
            if (e.message().bodyAsString().equals("slow")) {
                release.await(5, TimeUnit.SECONDS);
            }
        });
        r.offer("t", Message.of("unacked"), 1, "m1");
        r.offer("t", Message.of("slow"), 1, "m2");
        r.offer("t", Message.of("waiting"), 1, "m3");
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> held.size() == 2);
        Thread releaser = new Thread(() -> {
            await().atMost(Duration.ofSeconds(5)).until(r::isClosing);
            release.countDown();
        });
        releaser.start();
        r.close(Duration.ofSeconds(5));
        releaser.join();
        assertThat(verbs).containsExactlyInAnyOrder("giveBack m3 unstarted", "giveBack m1 started", "giveBack m2 started");
        held.get(0).ack();
        assertThat(verbs).as("settled by the rule already: a late ack does nothing").hasSize(3);
    }

    @Test
    void aFailureWhileClosingIsGivenBackNotRedelivered() throws InterruptedException {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch fail = new CountDownLatch(1);
        DeliveryRule<String> r = rule(SubscribeOptions.defaults(), e -> {
            running.countDown();
            fail.await(5, TimeUnit.SECONDS);
            throw new IllegalStateException("boom");
        });
        r.offer("t", Message.of("x"), 1, "m1");
        assertThat(running.await(5, TimeUnit.SECONDS)).isTrue();
        Thread closer = new Thread(() -> r.close(Duration.ofSeconds(5)));
        closer.start();
        await().atMost(Duration.ofSeconds(5)).until(r::isClosing);
        fail.countDown();
        closer.join();
        assertThat(verbs).containsExactly("giveBack m1 started");
    }

    @Test
    void handlersRunOnTheBrokersThreadFactory() {
        AtomicInteger made = new AtomicInteger();
        broker = new TrivialBroker("trivial", BrokerOptions.builder().url("trivial:").threadFactory(r -> {
            made.incrementAndGet();
            Thread t = new Thread(r, "custom-handler-thread");
            t.setDaemon(true);
            return t;
        }).build(), EnumSet.allOf(Capability.class));
        broker.connect();
        List<String> threads = new CopyOnWriteArrayList<>();
        DeliveryRule<String> r = new DeliveryRule<>(broker, "t", e -> threads.add(Thread.currentThread().getName()),
                SubscribeOptions.builder().concurrency(3).build(), 16, backend);
        r.offer("t", Message.of("x"), 1, "m1");
        await().atMost(Duration.ofSeconds(5)).until(() -> !threads.isEmpty());
        r.close(Duration.ofSeconds(1));
        assertThat(made.get()).as("the pool makes its threads when first needed, not per subscription").isBetween(1, 4);
        assertThat(threads).containsExactly("custom-handler-thread");
    }

    @Test
    void theDeadLetterCarriesTheAttemptsAndTheReason() {
        Message dl = DeadLetters.of(Message.builder().body("b").header("x-a", "1").build(), "orders.created", 3,
                new IllegalStateException("no stock"));
        assertThat(dl.header(Headers.DEAD_LETTER_ATTEMPTS)).isEqualTo("3");
        assertThat(dl.header(Headers.DEAD_LETTER_REASON)).isEqualTo("java.lang.IllegalStateException: no stock");
        assertThat(dl.header("x-a")).isEqualTo("1");
    }
}
