package dev.omnibus.broker.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.OverflowPolicy;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.Subscription;
import dev.omnibus.broker.support.HandlerPool;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Memory broker threads")
class MemoryThreadsTest extends MemoryTestSupport {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    @Test
    @DisplayName("5,000 subscriptions on distinct topics add no more threads than the handler pool's core, its watchdog and the bus timer")
    void threadsDoNotGrowWithSubscriptions() {
        int before = THREADS.getThreadCount();
        Broker b = connected(uniqueBus("threads"));
        AtomicInteger received = new AtomicInteger();
        List<Subscription> subs = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            subs.add(b.subscribe("threads.t" + i, e -> received.incrementAndGet()));
        }
        for (int i = 0; i < 5_000; i++) {
            b.publish("threads.t" + i, Message.of("m" + i));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> received.get() == 5_000);
        int added = THREADS.getThreadCount() - before;
        assertThat(added).as("threads added by 5,000 subscriptions").isLessThanOrEqualTo(HandlerPool.defaultCoreThreads() + 2);
        subs.forEach(Subscription::unsubscribe);
    }

    @Test
    @DisplayName("handlers that publish synchronously into each other's full buffers (BLOCK) do not deadlock, with more chains than pool threads")
    void blockingChainsComplete() {
        Broker b = connected(uniqueBus("chains"));
        int chains = HandlerPool.defaultCoreThreads() * 2;
        int length = 3;
        int messages = 10;
        SubscribeOptions tight = SubscribeOptions.builder().bufferSize(1).overflow(OverflowPolicy.BLOCK)
                .blockTimeout(Duration.ofSeconds(60)).build();
        AtomicInteger arrived = new AtomicInteger();
        for (int c = 0; c < chains; c++) {
            b.subscribe("chain" + c + ".s" + (length - 1), e -> arrived.incrementAndGet(), tight);
            for (int k = length - 2; k >= 0; k--) {
                String next = "chain" + c + ".s" + (k + 1);
                // two synchronous publishes: the first fills the next buffer, the second waits for its drain
                b.subscribe("chain" + c + ".s" + k, e -> {
                    b.publish(next, e.message());
                    b.publish(next, e.message());
                }, tight);
            }
        }
        List<Thread> publishers = new ArrayList<>();
        for (int c = 0; c < chains; c++) {
            String head = "chain" + c + ".s0";
            Thread t = new Thread(() -> {
                for (int i = 0; i < messages; i++) {
                    b.publish(head, Message.of("m" + i));
                }
            }, "chain-publisher-" + c);
            t.setDaemon(true);
            t.start();
            publishers.add(t);
        }
        int total = chains * messages << (length - 1);
        await().atMost(Duration.ofSeconds(60)).until(() -> arrived.get() == total);
    }
}
