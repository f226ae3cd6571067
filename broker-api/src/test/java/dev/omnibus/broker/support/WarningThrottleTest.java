package dev.omnibus.broker.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WarningThrottleTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final WarningThrottle throttle = new WarningThrottle(Duration.ofSeconds(10), now::get);

    @Test
    void firstGoesThroughThenOncePerIntervalWithTheCountInBetween() {
        assertThat(throttle.occurred(1)).isEqualTo(1);
        assertThat(throttle.occurred(1)).isEqualTo(-1);
        assertThat(throttle.occurred(5)).isEqualTo(-1);
        now.addAndGet(Duration.ofSeconds(9).toNanos());
        assertThat(throttle.occurred(1)).isEqualTo(-1);
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        // 1 + 5 + 1 kept quiet, and this one
        assertThat(throttle.occurred(2)).isEqualTo(9);
        assertThat(throttle.occurred(0)).isEqualTo(-1);
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        assertThat(throttle.occurred(0)).isEqualTo(0);
    }

    @Test
    void readyCountsNothing() {
        assertThat(throttle.ready()).isTrue();
        assertThat(throttle.ready()).isFalse();
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        assertThat(throttle.ready()).isTrue();
    }

    @Test
    void ofThreadsOccurringAtOnceExactlyOneWarnsAndNothingIsLostFromTheCount() throws InterruptedException {
        WarningThrottle real = throttle;
        int threads = 8;
        int each = 10_000;
        AtomicInteger warned = new AtomicInteger();
        AtomicLong reported = new AtomicLong();
        CountDownLatch start = new CountDownLatch(1);
        Thread[] ts = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            ts[i] = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int k = 0; k < each; k++) {
                    long c = real.occurred(1);
                    if (c >= 0) {
                        warned.incrementAndGet();
                        reported.addAndGet(c);
                    }
                }
            });
            ts[i].start();
        }
        start.countDown();
        for (Thread t : ts) {
            t.join();
        }
        assertThat(warned).hasValue(1);
        // what the one warning reported plus what waits for the next is every occurrence
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        assertThat(reported.get() + real.occurred(0)).isEqualTo((long) threads * each);
    }

    @Test
    void rejectsAnIntervalThatIsNotPositive() {
        assertThatThrownBy(() -> new WarningThrottle(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("positive");
    }
}
