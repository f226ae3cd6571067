package dev.omnibus.broker.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerException;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.ProviderNotFoundException;
import dev.omnibus.broker.SubscribeOptions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Kit group "Bad input": bad topics, URLs, sizes, credentials and replies. Run by {@link BrokerCompatibilityKit}; the numbers in
 * the display names are those of the kit's catalogue, {@code broker-tck/BEHAVIOURS.md}.
 */
public abstract class BadInputTests extends KitGroup {
    protected BadInputTests(BrokerCompatibilityKit kit) {
        super(kit);
    }
    @Test
    @DisplayName("28. null, empty, too long, whitespace and wildcard topics are rejected at the call, before any I/O")
    void badTopics() {
        Broker b = disconnected("a");
        String tooLong = "a." + "x".repeat(300);
        for (String bad : new String[] {"", " ", "a b", "a..b", ".a", "a.", tooLong, "a\tb", "a.\u0001"}) {
            assertThatThrownBy(() -> b.publish(bad, text("x"))).as("publish to '%s'", bad).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> b.subscribe(bad, e -> { })).as("subscribe to '%s'", bad).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> b.request(bad, text("x"), Duration.ofSeconds(1))).as("request to '%s'", bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        for (String pattern : new String[] {"a.*", "a.>", "*", ">"}) {
            assertThatThrownBy(() -> b.publish(pattern, text("x"))).as("publish to pattern '%s'", pattern)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wildcard");
        }
        assertThatThrownBy(() -> b.subscribe("a.>.b", e -> { })).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.subscribe("a.b*", e -> { })).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.publish(null, text("x"))).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> b.subscribe(null, e -> { })).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> b.publish("a.b", null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> b.subscribe("a.b", null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> b.subscribe("a.b", e -> { }, null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> b.request("a.b", text("x"), Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SubscribeOptions.builder().concurrency(-1).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("concurrency").hasMessageContaining("-1");
        assertThatThrownBy(() -> SubscribeOptions.builder().bufferSize(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bufferSize");
        assertThatThrownBy(() -> SubscribeOptions.builder().queue("bad group").build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(b.isConnected()).isFalse();
    }

    @Test
    @DisplayName("30. a bad URL or an unknown scheme is a clear exception")
    void badUrls() {
        assertThatThrownBy(() -> Brokers.create("nosuchscheme://host:1"))
                .isInstanceOf(ProviderNotFoundException.class)
                .hasMessageContaining("nosuchscheme")
                .hasMessageContaining(disconnected("a").name());
        assertThatThrownBy(() -> Brokers.create("no-scheme-here")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("scheme");
    }

    @Test
    @DisplayName("51. a broker survives a handler that fails while replying and bad replies")
    void replyWithoutRequest() {
        Broker b = connected("a");
        String topic = topic("noreply");
        AtomicBoolean refused = new AtomicBoolean();
        Inbox inbox = new Inbox();
        b.subscribe(topic, e -> {
            try {
                e.reply(text("to nobody"));
            } catch (IllegalStateException expected) {
                refused.set(true);
            }
            inbox.handle(e);
        });
        b.publish(topic, text("plain publish"));
        inbox.awaitCount(1, t(10_000));
        assertThat(refused).as("reply to a message not sent with request() is refused").isTrue();
        assertThatCode(() -> b.publish(topic, text("still fine"))).doesNotThrowAnyException();
        inbox.awaitCount(2, t(10_000));
    }

    @Test
    @DisplayName("29. a message over the backend's size limit fails with a clear exception; the connection keeps working")
    void messageTooLarge() throws Exception {
        long limit = maxMessageBytes();
        Assumptions.assumeTrue(limit > 0, "the kit class states no message size limit; override maxMessageBytes()");
        Broker b = connected("a");
        String topic = topic("big");
        Inbox inbox = new Inbox();
        b.subscribe(topic, inbox);
        byte[] tooBig = new byte[Math.toIntExact(limit + 1)];
        Throwable failure = catchThrowable(() -> b.publish(topic, Message.of(tooBig)));
        assertThat(failure).isInstanceOf(dev.omnibus.broker.MessageTooLargeException.class)
                .hasMessageContaining(topic).hasMessageContaining(Long.toString(limit));
        Throwable async = catchThrowable(() -> b.publishAsync(topic, Message.of(tooBig)).get(30, TimeUnit.SECONDS));
        assertThat(async).as("publishAsync of a message over the limit").isNotNull();
        assertThat(async instanceof java.util.concurrent.ExecutionException ? async.getCause() : async)
                .isInstanceOf(dev.omnibus.broker.MessageTooLargeException.class);
        assertThat(b.isConnected()).as("still connected").isTrue();
        b.publish(topic, text("small, after"));
        b.publish(topic, Message.of(new byte[(int) Math.min(limit / 2, 64 * 1024)]));
        inbox.awaitCount(2, t(10_000)).assertStaysAt(2, t(200));
    }

    @Test
    @DisplayName("30. wrong credentials: connect fails within connectTimeout with a clear exception naming the address, never the password")
    void wrongCredentials() {
        String password = "Wr0ng-" + runId() + "-pw";
        BrokerOptions options = optionsWithWrongCredentials(password);
        Assumptions.assumeTrue(options != null,
                "the server under test checks no credentials (or the kit class does not say how); override optionsWithWrongCredentials()");
        Broker b = Brokers.create(options.toBuilder().connectTimeout(Duration.ofSeconds(3)).build());
        track(b);
        long start = System.nanoTime();
        Throwable failure = catchThrowable(b::connect);
        assertThat(failure).as("connect with a wrong password").isInstanceOf(BrokerException.class);
        assertThat(failure.getMessage()).contains(b.address());
        for (Throwable c = failure; c != null; c = c.getCause()) {
            assertThat(String.valueOf(c.getMessage())).as("message of %s", c.getClass().getName()).doesNotContain(password);
        }
        assertThat(b.address() + b).doesNotContain(password);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3).plus(t(5_000)));
        assertThat(b.isConnected()).isFalse();
    }
}
