package dev.omnibus.broker.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.RequestException;
import dev.omnibus.broker.SubscribeOptions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Memory buses")
class MemoryBusTest extends MemoryTestSupport {
    private static final Duration QUIET = Duration.ofMillis(300);

    @Test
    @DisplayName("two memory: brokers are private buses and do not see each other's messages")
    void privateBuses() {
        Broker one = connected("memory:");
        Broker two = connected("memory:");
        List<String> onOne = new CopyOnWriteArrayList<>();
        List<String> onTwo = new CopyOnWriteArrayList<>();
        one.subscribe("news", e -> onOne.add(e.message().bodyAsString()));
        two.subscribe("news", e -> onTwo.add(e.message().bodyAsString()));

        one.publish("news", Message.of("from-one"));
        await().atMost(Duration.ofSeconds(5)).until(() -> onOne.contains("from-one"));
        await().during(QUIET).atMost(Duration.ofSeconds(3)).until(onTwo::isEmpty);
    }

    @Test
    @DisplayName("brokers on the same memory://name share one bus, like nodes of one broker")
    void namedBusShared() {
        String url = uniqueBus("shared");
        Broker one = connected(url);
        Broker two = connected(url);
        List<String> got = new CopyOnWriteArrayList<>();
        two.subscribe("news.*", e -> got.add(e.topic() + "=" + e.message().bodyAsString()));
        one.publish("news.eu", Message.of("hello"));
        await().atMost(Duration.ofSeconds(5)).until(() -> got.contains("news.eu=hello"));
    }

    @Test
    @DisplayName("a queue group spanning two brokers of one named bus gets each message exactly once")
    void queueGroupAcrossNodes() {
        String url = uniqueBus("group");
        Broker one = connected(url);
        Broker two = connected(url);
        List<String> got = new CopyOnWriteArrayList<>();
        List<String> onOne = new CopyOnWriteArrayList<>();
        SubscribeOptions group = SubscribeOptions.builder().queue("workers").build();
        one.subscribe("jobs", e -> {
            got.add(e.message().bodyAsString());
            onOne.add(e.message().bodyAsString());
        }, group);
        two.subscribe("jobs", e -> got.add(e.message().bodyAsString()), group);
        for (int i = 0; i < 100; i++) {
            one.publish("jobs", Message.of("j" + i));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> got.size() >= 100);
        await().during(QUIET).atMost(Duration.ofSeconds(3)).until(() -> got.size() == 100);
        assertThat(got).doesNotHaveDuplicates();
        assertThat(onOne).as("work is spread across both nodes").isNotEmpty().hasSizeLessThan(100);
    }

    @Test
    @DisplayName("different bus names are isolated from each other")
    void differentNamesIsolated() {
        Broker x = connected(uniqueBus("x"));
        Broker y = connected(uniqueBus("y"));
        List<String> onY = new CopyOnWriteArrayList<>();
        List<String> onX = new CopyOnWriteArrayList<>();
        y.subscribe("t", e -> onY.add("y"));
        x.subscribe("t", e -> onX.add("x"));
        x.publish("t", Message.of("m"));
        await().atMost(Duration.ofSeconds(5)).until(() -> onX.size() == 1);
        await().during(QUIET).atMost(Duration.ofSeconds(3)).until(onY::isEmpty);
    }

    @Test
    @DisplayName("a named bus lives while a broker is attached and disappears (timer stopped) when the last one disconnects")
    void busDisappearsWithLastBroker() throws Exception {
        String url = uniqueBus("gone");
        String timerThread = "omnibus-memory-timer-" + url.substring("memory://".length());
        Broker one = connected(url);
        Broker two = connected(url);
        two.subscribe("silent", e -> { }); // never replies
        CompletableFuture<Message> f = one.request("silent", Message.of("q"), Duration.ofMillis(50));
        assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(RequestException.class);
        assertThat(timerAlive(timerThread)).as("the bus timer ran the request timeout").isTrue();

        one.disconnect();
        await().during(QUIET).atMost(Duration.ofSeconds(3)).until(() -> timerAlive(timerThread));

        two.disconnect();
        await().atMost(Duration.ofSeconds(5)).until(() -> !timerAlive(timerThread));

        // a broker joining the name afterwards gets a fresh, fully working bus (its timer runs timeouts)
        Broker three = connected(url);
        List<String> got = new CopyOnWriteArrayList<>();
        three.subscribe("silent", e -> got.add(e.message().bodyAsString()));
        CompletableFuture<Message> again = three.request("silent", Message.of("q2"), Duration.ofMillis(50));
        assertThatThrownBy(() -> again.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(RequestException.class).hasMessageContaining("no reply");
        await().atMost(Duration.ofSeconds(5)).until(() -> got.contains("q2"));
    }

    @Test
    @DisplayName("messages parked for a queue group do not survive the bus: a fresh broker on the name gets none")
    void noLeftoversAfterBusDisappears() {
        String url = uniqueBus("leftover");
        Broker one = connected(url);
        List<String> got = new CopyOnWriteArrayList<>();
        SubscribeOptions manual = SubscribeOptions.builder().queue("g").autoAck(false).build();
        var member = one.subscribe("work", e -> got.add(e.message().bodyAsString()), manual); // never acks
        one.publish("work", Message.of("unacked"));
        await().atMost(Duration.ofSeconds(5)).until(() -> got.contains("unacked"));
        member.unsubscribe(); // hands the unacked message back to the now empty group
        one.disconnect();     // last broker: the bus goes away with whatever was parked

        Broker fresh = connected(url);
        List<String> freshGot = new CopyOnWriteArrayList<>();
        fresh.subscribe("work", e -> freshGot.add(e.message().bodyAsString()), SubscribeOptions.builder().queue("g").build());
        fresh.publish("work", Message.of("new"));
        await().atMost(Duration.ofSeconds(5)).until(() -> freshGot.contains("new"));
        await().during(QUIET).atMost(Duration.ofSeconds(3)).until(() -> freshGot.size() == 1);
        assertThat(freshGot).containsExactly("new");
    }

    private static boolean timerAlive(String name) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(name) && t.isAlive());
    }
}
