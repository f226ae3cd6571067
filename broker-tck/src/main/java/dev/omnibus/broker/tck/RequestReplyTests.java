package dev.omnibus.broker.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.RequestException;
import dev.omnibus.broker.SubscribeOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Kit group "Request and reply": request/reply, no responders, groups and per-request resources. Run by {@link BrokerCompatibilityKit}; the numbers in
 * the display names are those of the kit's catalogue, {@code broker-tck/BEHAVIOURS.md}.
 */
@RequiresCapabilities(Capability.REQUEST_REPLY)
public abstract class RequestReplyTests extends KitGroup {
    protected RequestReplyTests(BrokerCompatibilityKit kit) {
        super(kit);
    }

    @Test
    @DisplayName("24. request gets the reply; 100 concurrent requests each get their own")
    void requestReply() throws Exception {
        Broker server = connected("server");
        Broker client = connected("client");
        String topic = topic("echo");
        server.subscribe(topic, e -> e.reply(text("re:" + e.message().bodyAsString())),
                SubscribeOptions.builder().concurrency(4).build());
        Message reply = client.request(topic, text("ping"), t(10_000)).get(20, TimeUnit.SECONDS);
        assertThat(reply.bodyAsString()).isEqualTo("re:ping");
        List<CompletableFuture<Message>> futures = IntStream.range(0, 100)
                .mapToObj(i -> client.request(topic, text("q" + i), t(20_000)))
                .collect(Collectors.toList());
        for (int i = 0; i < 100; i++) {
            assertThat(futures.get(i).get(30, TimeUnit.SECONDS).bodyAsString()).isEqualTo("re:q" + i);
        }
    }

    @Test
    @DisplayName("25. a request nobody answers fails within its timeout")
    void noResponder() {
        Broker client = connected("client");
        Duration timeout = Duration.ofMillis(800);
        long start = System.nanoTime();
        CompletableFuture<Message> f = client.request(topic("nobody"), text("hello?"), timeout);
        Throwable failure = catchThrowable(() -> f.get(30, TimeUnit.SECONDS));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(failure).hasCauseInstanceOf(RequestException.class);
        assertThat(took).isLessThan(timeout.plus(t(3_000)));
    }

    @Test
    @DisplayName("26. a request to a queue group gets exactly one reply, from one member")
    void requestToGroup() throws Exception {
        String topic = topic("quote");
        String group = group("pricing");
        AtomicInteger handled = new AtomicInteger();
        for (int i = 0; i < 3; i++) {
            String member = "m" + i;
            connected(member).subscribe(topic, e -> {
                handled.incrementAndGet();
                e.reply(text(member));
            }, SubscribeOptions.builder().queue(group).build());
        }
        Broker client = connected("client");
        Message reply = client.request(topic, text("sku-1"), t(10_000)).get(20, TimeUnit.SECONDS);
        assertThat(reply.bodyAsString()).startsWith("m");
        await().during(t(300)).atMost(t(5_000)).until(() -> handled.get() == 1);
    }

    @Test
    @DisplayName("27. requests create no per-request server resources: the server's resource count is unchanged after 1,000 requests")
    void noPerRequestResources() throws Exception {
        Broker server = connected("server");
        Broker client = connected("client");
        String topic = topic("count");
        server.subscribe(topic, e -> e.reply(text("ok")), SubscribeOptions.builder().concurrency(4).build());
        client.request(topic, text("warm-up"), t(10_000)).get(20, TimeUnit.SECONDS);
        long before = serverResourceCount();
        Assumptions.assumeTrue(before >= 0, "the kit class cannot count the server's resources; override serverResourceCount()");
        int total = n(1000);
        for (int batch = 0; batch < total; batch += 100) {
            List<CompletableFuture<Message>> futures = new ArrayList<>();
            for (int i = batch; i < Math.min(total, batch + 100); i++) {
                futures.add(client.request(topic, text("r" + i), t(20_000)));
            }
            for (CompletableFuture<Message> f : futures) {
                assertThat(f.get(60, TimeUnit.SECONDS).bodyAsString()).isEqualTo("ok");
            }
        }
        long after = serverResourceCount();
        assertThat(after).as("server resources after %d requests (before: %d)", total, before).isLessThanOrEqualTo(before);
    }
}
