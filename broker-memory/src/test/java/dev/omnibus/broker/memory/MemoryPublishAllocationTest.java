package dev.omnibus.broker.memory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.OverflowPolicy;
import dev.omnibus.broker.SubscribeOptions;
import java.lang.management.ManagementFactory;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What the publishing thread allocates per subscriber, measured with
 * {@link com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes()} over {@value #N}
 * publishes to 1 and to 8 subscribers: the difference, divided by 7 × N, is the cost of one more
 * subscriber per message. The buffers are large enough and already grown, so no overflow or
 * buffer growth is measured: only the publish path itself, waking the pool's drains included.
 */
class MemoryPublishAllocationTest extends MemoryTestSupport {
    private static final int N = 20_000;
    private static final int WARM_UP = 50_000;
    /** {@link dev.omnibus.broker.support.Delivery}: its ack state, one per subscriber by nature (12 B header + 6 fields). */
    private static final int DELIVERY_EVENT_BYTES = 40;

    private static com.sun.management.ThreadMXBean threads;

    @BeforeAll
    static void allocationCounting() {
        Assumptions.assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean,
                "this JVM does not count allocated bytes per thread");
        threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        threads.setThreadAllocatedMemoryEnabled(true);
    }

    /**
     * Bytes the current thread allocates publishing {@value #N} messages. First {@value #WARM_UP}
     * more warm up while the handlers are held, so every buffer grows to more than the measured
     * publishes can fill (a mailbox's array grows on demand); then the handlers run and the
     * measured publishes include waking the drains.
     */
    private long bytesPublishing(int subscribers, SubscribeOptions options) {
        Broker broker = connected("memory:");
        CountDownLatch gate = gate();
        int deliveriesPerMessage = options.queue() == null ? subscribers : 1;
        CountDownLatch warmed = new CountDownLatch(deliveriesPerMessage * WARM_UP);
        CountDownLatch all = new CountDownLatch(deliveriesPerMessage * (WARM_UP + N));
        for (int i = 0; i < subscribers; i++) {
            broker.subscribe("alloc.t", e -> {
                gate.await();
                warmed.countDown();
                all.countDown();
            }, options);
        }
        Message message = Message.of(new byte[128]);
        for (int i = 0; i < WARM_UP; i++) {
            broker.publish("alloc.t", message);
        }
        gate.countDown();
        waitFor(warmed);
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < N; i++) {
            broker.publish("alloc.t", message);
        }
        long bytes = threads.getCurrentThreadAllocatedBytes() - before;
        waitFor(all);
        broker.disconnect();
        return bytes;
    }

    private static SubscribeOptions roomy(String queue) {
        // room for every publish of the test in each buffer: never full, so never dropped nor blocked
        return SubscribeOptions.builder().queue(queue).bufferSize(2 * (N + WARM_UP)).overflow(OverflowPolicy.DROP_NEWEST).build();
    }

    private double bytesPerExtraSubscriber(SubscribeOptions options) {
        // the least of three tries on each side: a stray allocation (a class loaded, code not yet
        // compiled) only ever adds, and must not hide a cost by inflating the 1-subscriber side
        long one = Long.MAX_VALUE;
        long eight = Long.MAX_VALUE;
        for (int attempt = 0; attempt < 3; attempt++) {
            one = Math.min(one, bytesPublishing(1, options));
            eight = Math.min(eight, bytesPublishing(8, options));
        }
        return (eight - one) / (7.0 * N);
    }

    @Test
    @DisplayName("a queue group of 8 costs the publisher no more per message than a group of 1")
    void groupAllocatesNothingPerMember() {
        // before: 3.4 B a member (the members copied into an array per message: 24 B for 1, 48 B for 8)
        assertThat(bytesPerExtraSubscriber(roomy("workers"))).isLessThan(1.0);
    }

    @Test
    @DisplayName("routing to matching subscriptions allocates nothing per route")
    void busAllocatesNothingPerRoute() {
        long one = Long.MAX_VALUE;
        long eight = Long.MAX_VALUE;
        for (int attempt = 0; attempt < 3; attempt++) {
            one = Math.min(one, bytesRouting(1));
            eight = Math.min(eight, bytesRouting(8));
        }
        assertThat((eight - one) / (7.0 * N)).isLessThan(1.0);
    }

    private long bytesRouting(int routes) {
        MemoryBus bus = MemoryBus.attach(null);
        try {
            long[] delivered = new long[1];
            for (int i = 0; i < routes; i++) {
                bus.index.add("alloc.t", (topic, message, attempt) -> delivered[0]++);
            }
            Message message = Message.of(new byte[128]);
            for (int i = 0; i < WARM_UP; i++) {
                bus.route("alloc.t", message);
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < N; i++) {
                bus.route("alloc.t", message);
            }
            long bytes = threads.getCurrentThreadAllocatedBytes() - before;
            assertThat(delivered[0]).isEqualTo((long) routes * (N + WARM_UP));
            return bytes;
        } finally {
            bus.detach();
        }
    }

    @Test
    @DisplayName("a broadcast costs one delivery event per subscription (its ack state) and nothing more")
    void broadcastAllocatesOnlyTheDeliveryEvent() {
        double perSubscriber = bytesPerExtraSubscriber(roomy(null));
        assertThat(perSubscriber).isLessThanOrEqualTo(DELIVERY_EVENT_BYTES + 2.0);
    }
}
