package dev.omnibus.broker.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerException;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Health;
import dev.omnibus.broker.Subscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Kit group "Lifecycle": connect, disconnect, init, redaction and connect failures. Run by {@link BrokerCompatibilityKit}; the numbers in
 * the display names are those of the kit's catalogue, {@code broker-tck/BEHAVIOURS.md}.
 */
public abstract class LifecycleTests extends KitGroup {
    protected LifecycleTests(BrokerCompatibilityKit kit) {
        super(kit);
    }
    @Test
    @DisplayName("1. connect and disconnect are idempotent; publish or subscribe before connect fails saying the broker is not connected")
    void connectDisconnectIdempotent() {
        Broker b = disconnected("a");
        String topic = topic("x");
        assertThat(b.isConnected()).isFalse();
        assertThatThrownBy(() -> b.publish(topic, text("x"))).isInstanceOf(BrokerException.class)
                .hasMessageContaining("not connected");
        assertThatThrownBy(() -> b.subscribe(topic, e -> { })).isInstanceOf(BrokerException.class)
                .hasMessageContaining("not connected");
        b.connect();
        b.connect();
        assertThat(b.isConnected()).isTrue();
        Inbox inbox = new Inbox();
        b.subscribe(topic, inbox);
        b.publish(topic, text("hello"));
        inbox.awaitCount(1, t(10_000));
        b.disconnect();
        b.disconnect();
        assertThat(b.isConnected()).isFalse();
        assertThatThrownBy(() -> b.publish(topic, text("x"))).isInstanceOf(BrokerException.class)
                .hasMessageContaining("not connected");
        b.connect();
        assertThat(b.isConnected()).isTrue();
    }

    @Test
    @DisplayName("2. init while connected is an IllegalStateException; init while disconnected takes effect on the next connect")
    void initOnlyWhileDisconnected() {
        Broker b = disconnected("a");
        BrokerOptions changed = b.options().toBuilder().nodeId(node("renamed")).publishTimeout(Duration.ofSeconds(7)).build();
        b.init(changed);
        assertThat(b.options().nodeId()).isEqualTo(node("renamed"));
        b.connect();
        assertThat(b.options().publishTimeout()).isEqualTo(Duration.ofSeconds(7));
        assertThatThrownBy(() -> b.init(changed)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("disconnect");
        Inbox inbox = new Inbox();
        String topic = topic("x");
        b.subscribe(topic, inbox);
        b.publish(topic, text("works"));
        inbox.awaitCount(1, t(10_000));
    }

    @Test
    @DisplayName("3. address(), toString() and every exception message never contain the password")
    void noPasswordAnywhere() {
        String password = "S3cr3t-" + runId() + "-pw";
        BrokerOptions options = optionsWithPassword(password);
        Broker b = disconnected("secret");
        b.init(options);
        assertThat(b.address()).doesNotContain(password);
        assertThat(b.toString()).doesNotContain(password);
        assertThat(b.options().toString()).doesNotContain(password);
        List<Throwable> failures = new ArrayList<>();
        failures.add(catchThrowable(() -> b.publish(topic("x"), text("x"))));
        failures.add(catchThrowable(b::connect));
        failures.add(catchThrowable(() -> b.publish("bad topic", text("x"))));
        failures.add(catchThrowable(() -> Brokers.create(options.url().replaceFirst("^[a-z]+:", "nosuchscheme:"))));
        for (Throwable f : failures) {
            for (Throwable c = f; c != null; c = c.getCause()) {
                assertThat(String.valueOf(c.getMessage())).as("message of %s", c.getClass().getName()).doesNotContain(password);
            }
        }
    }

    @Test
    @DisplayName("4. disconnect waits for running handlers, within shutdownTimeout, and no handler runs after it returns")
    void disconnectWaitsForHandlers() {
        Broker sub = disconnected("sub");
        sub.init(sub.options().toBuilder().shutdownTimeout(t(5_000)).build());
        sub.connect();
        Broker pub = connected("pub");
        String topic = topic("slow");
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean finished = new AtomicBoolean();
        AtomicInteger calls = new AtomicInteger();
        sub.subscribe(topic, e -> {
            calls.incrementAndGet();
            started.countDown();
            busy(Duration.ofMillis(300));
            finished.set(true);
        });
        pub.publish(topic, text("1"));
        await().atMost(t(10_000)).until(() -> started.getCount() == 0);
        sub.disconnect();
        assertThat(finished).as("the running handler finished before disconnect returned").isTrue();
        int after = calls.get();
        for (int i = 0; i < 5; i++) {
            pub.publish(topic, text("late-" + i));
        }
        await().during(t(500)).atMost(t(5_000)).until(() -> calls.get() == after);

        Broker stuck = disconnected("stuck");
        stuck.init(stuck.options().toBuilder().shutdownTimeout(Duration.ofMillis(300)).build());
        stuck.connect();
        CountDownLatch forever = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        String topic2 = topic("stuck");
        stuck.subscribe(topic2, e -> {
            entered.countDown();
            forever.await(30, TimeUnit.SECONDS);
        });
        pub.publish(topic2, text("1"));
        await().atMost(t(10_000)).until(() -> entered.getCount() == 0);
        long start = System.nanoTime();
        stuck.disconnect();
        forever.countDown();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("disconnect bounded by shutdownTimeout")
                .isLessThan(Duration.ofMillis(300).plus(t(5_000)));
    }

    @Test
    @DisplayName("5. connect where nothing listens fails within connectTimeout with a message naming the address")
    void connectToNothing() {
        String url = urlWithNothingListening();
        Assumptions.assumeTrue(url != null, "the backend has no network address to fail on");
        Broker b = Brokers.create(BrokerOptions.builder().url(url).connectTimeout(Duration.ofSeconds(2)).build());
        track(b);
        long start = System.nanoTime();
        Throwable failure = catchThrowable(b::connect);
        assertThat(failure).isInstanceOf(BrokerException.class);
        assertThat(failure.getMessage()).contains(b.address());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2).plus(t(5_000)));
        assertThat(b.isConnected()).isFalse();
    }

    @Test
    @DisplayName("53. health() is DISCONNECTED before connect and after disconnect, CONNECTED while connected, and never shows the password")
    void healthFollowsTheLifecycle() {
        Broker b = disconnected("health");
        assertThat(b.health().status()).isEqualTo(Health.Status.DISCONNECTED);
        b.connect();
        assertThat(b.health().status()).isEqualTo(Health.Status.CONNECTED);
        String password = b.options().password();
        if (password != null && !password.isEmpty()) {
            assertThat(b.health().toString()).doesNotContain(password);
        }
        b.disconnect();
        assertThat(b.health().status()).isEqualTo(Health.Status.DISCONNECTED);
    }

    @Test
    @DisplayName("54. close() is disconnect() for a broker and unsubscribe() for a subscription, so try-with-resources works; both are idempotent")
    void closeIsDisconnect() throws Exception {
        Broker b = disconnected("closing");
        b.connect();
        String topic = topic("closing");
        Inbox inbox = new Inbox();
        try (Subscription s = b.subscribe(topic, inbox)) {
            b.publish(topic, text("one"));
            inbox.awaitCount(1, t(10_000));
            s.close();
            assertThat(s.isActive()).isFalse();
        }
        b.close();
        assertThat(b.isConnected()).isFalse();
        assertThat(b.health().status()).isEqualTo(Health.Status.DISCONNECTED);
        b.close();
        assertThatThrownBy(() -> b.publish(topic, text("x"))).isInstanceOf(BrokerException.class).hasMessageContaining("not connected");
    }
}
