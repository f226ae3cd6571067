package dev.omnibus.broker.memory;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;

/** Creates connected memory brokers and blocking gates, and cleans both up after each test. */
abstract class MemoryTestSupport {
    private static final AtomicInteger BUS = new AtomicInteger();

    private final List<Broker> brokers = new CopyOnWriteArrayList<>();
    private final List<CountDownLatch> gates = new CopyOnWriteArrayList<>();

    /** A bus name no other test uses. */
    static String uniqueBus(String prefix) {
        return "memory://" + prefix + "-" + BUS.incrementAndGet();
    }

    Broker connected(String url) {
        return connected(BrokerOptions.of(url));
    }

    Broker connected(BrokerOptions options) {
        Broker b = Brokers.create(options);
        brokers.add(b);
        b.connect();
        return b;
    }

    /** A latch that is opened, at the latest, when the test ends (before the brokers disconnect). */
    CountDownLatch gate() {
        CountDownLatch g = new CountDownLatch(1);
        gates.add(g);
        return g;
    }

    static void waitFor(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new AssertionError("gate not opened within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    @AfterEach
    void cleanUp() {
        gates.forEach(CountDownLatch::countDown);
        brokers.forEach(Broker::disconnect);
    }
}
