package dev.omnibus.broker.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.OverflowPolicy;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.tck.LogCapture;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The BLOCK backlog of a core subscription behind a full buffer: it keeps what jnats would have let a
 * dispatcher hold ({@link Backlog#MAX_BYTES}), drops beyond that with one slow-consumer warning that
 * counts the drops, and never holds up the connection's other subscriptions.
 */
class NatsBacklogTest {
    private static final int BODY = 64 * 1024;

    @Test
    void keepsUpToTheByteCapInOrderThenDropsWithOneCountingWarning() throws Exception {
        String prefix = "omnibus-test-" + Message.newId().substring(0, 8);
        // 16 messages more than the cap holds, beyond the one in the handler and the one in the buffer
        int cap = (int) (Backlog.MAX_BYTES / BODY);
        int sent = cap + 2 + 16;
        Broker broker = Brokers.create(NatsCoreBrokerTest.URL);
        Connection raw = Nats.connect(NatsCoreBrokerTest.URL);
        CountDownLatch release = new CountDownLatch(1);
        Set<Integer> got = ConcurrentHashMap.newKeySet();
        Set<String> other = ConcurrentHashMap.newKeySet();
        int[] last = {-1};
        boolean[] ordered = {true};
        try (LogCapture log = LogCapture.start()) {
            broker.connect();
            broker.subscribe(prefix + ".slow", e -> {
                release.await(60, TimeUnit.SECONDS);
                int n = ByteBuffer.wrap(e.message().body()).getInt();
                if (n <= last[0]) {
                    ordered[0] = false;
                }
                last[0] = n;
                got.add(n);
            }, SubscribeOptions.builder().bufferSize(1).overflow(OverflowPolicy.BLOCK).blockTimeout(Duration.ofSeconds(60)).build());
            broker.subscribe(prefix + ".other", e -> other.add(e.message().bodyAsString()));
            for (int i = 0; i < sent; i++) {
                byte[] body = new byte[BODY];
                ByteBuffer.wrap(body).putInt(i);
                raw.publish(prefix + ".slow", body);
            }
            raw.flush(Duration.ofSeconds(10));
            // the slow subscription's backlog does not hold up the other subscription on the same connection
            broker.publish(prefix + ".other", Message.of("still flowing"));
            await().atMost(Duration.ofSeconds(20)).until(() -> other.contains("still flowing"));
            await().atMost(Duration.ofSeconds(20)).until(() -> log.count("messages dropped since the last warning") == 1);
            release.countDown();
            await().atMost(Duration.ofSeconds(30)).until(() -> got.size() >= cap);
            // a message after the drops still arrives: the subscription is not broken by them
            byte[] after = new byte[BODY];
            ByteBuffer.wrap(after).putInt(sent);
            raw.publish(prefix + ".slow", after);
            await().atMost(Duration.ofSeconds(20)).until(() -> got.contains(sent));
            assertThat(got.size()).as("kept: the handler's, the buffer's and the backlog's").isBetween(cap, cap + 3);
            assertThat(got).contains(0, 1, 2, cap - 1);
            assertThat(ordered[0]).as("delivered in the order published").isTrue();
            String text = log.text();
            assertThat(log.count("messages dropped since the last warning")).isEqualTo(1);
            assertThat(text).contains("Slow consumer: subscription '" + prefix + ".slow'");
        } finally {
            release.countDown();
            broker.disconnect();
            raw.close();
        }
    }
}
