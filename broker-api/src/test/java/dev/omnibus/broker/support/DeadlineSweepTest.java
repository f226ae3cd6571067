package dev.omnibus.broker.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DeadlineSweepTest {
    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
    private final DeadlineSweep sweep = new DeadlineSweep(timer);

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    /** An operation that finishes when told, or expires. */
    static final class Op implements DeadlineSweep.Deadline {
        final long deadline;
        final AtomicBoolean done = new AtomicBoolean();
        final AtomicInteger expired = new AtomicInteger();

        Op(Duration timeout) {
            deadline = System.nanoTime() + timeout.toNanos();
        }

        @Override
        public long deadlineNanos() {
            return deadline;
        }

        @Override
        public boolean finished() {
            return done.get();
        }

        @Override
        public void expire() {
            expired.incrementAndGet();
        }
    }

    @Test
    void finishedOperationsBehindOneThatWaitsAreReleasedAtTheNextSweepNotAtItsDeadline() {
        Duration timeout = Duration.ofMinutes(5);
        Op waiting = new Op(timeout);
        sweep.add(waiting, timeout.toNanos());
        for (int i = 0; i < 1_000; i++) {
            Op done = new Op(timeout);
            sweep.add(done, timeout.toNanos());
            done.done.set(true);
        }
        assertThat(sweep.size()).isEqualTo(1_001);
        await().atMost(Duration.ofSeconds(5)).until(() -> sweep.size() == 1);
        assertThat(waiting.expired).hasValue(0);
    }

    @Test
    void aTimeoutShorterThanTheWaitForTheScheduledSweepGetsASweepOfItsOwn() throws InterruptedException {
        // hold the timer's one thread, so no scheduled task runs (and leaves the queue) while the queue is looked at
        CountDownLatch release = new CountDownLatch(1);
        timer.execute(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> timer.getActiveCount() == 1 && timer.getQueue().isEmpty());
        try {
            Duration slow = Duration.ofMinutes(5);
            sweep.add(new Op(slow), slow.toNanos());
            assertThat(timer.getQueue()).hasSize(1);
            Duration quick = Duration.ofMillis(5);
            Op soon = new Op(quick);
            sweep.add(soon, quick.toNanos());
            // the scheduled sweep is up to RESOLUTION away: one more, at the short deadline
            assertThat(timer.getQueue()).hasSize(2);
            assertThat(timer.getQueue().stream().mapToLong(t -> ((Delayed) t).getDelay(TimeUnit.MILLISECONDS)).min()
                    .getAsLong()).isLessThanOrEqualTo(quick.toMillis());
            release.countDown();
            await().atMost(Duration.ofSeconds(5)).until(() -> soon.expired.get() == 1);
            assertThat(soon.expired).hasValue(1);
        } finally {
            release.countDown();
        }
    }

    @Test
    void anOperationThatThrowsDoesNotStopLaterSweeps() {
        Duration timeout = Duration.ofMillis(20);
        DeadlineSweep.Deadline broken = new DeadlineSweep.Deadline() {
            @Override
            public long deadlineNanos() {
                throw new IllegalStateException("broken");
            }

            @Override
            public boolean finished() {
                return false;
            }

            @Override
            public void expire() {
            }
        };
        sweep.add(broken, timeout.toNanos());
        await().atMost(Duration.ofSeconds(5)).until(() -> timer.getCompletedTaskCount() >= 1);
        Op later = new Op(Duration.ofMillis(30));
        sweep.add(later, Duration.ofMillis(30).toNanos());
        await().atMost(Duration.ofSeconds(5)).until(() -> later.expired.get() == 1);
    }

    @Test
    void timeoutsBeyondTheLanesShareOneLaneInDeadlineOrder() {
        Duration longer = Duration.ofMinutes(5);
        for (int i = 0; i < DeadlineSweep.MAX_LANES; i++) {
            Duration t = longer.plusMillis(i);
            sweep.add(new Op(t), t.toNanos());
        }
        // both beyond the lanes: the later deadline added first must not hold up the earlier one
        Duration late = Duration.ofMinutes(10);
        Op slow = new Op(late);
        sweep.add(slow, late.toNanos());
        Duration soon = Duration.ofMillis(100);
        Op quick = new Op(soon);
        sweep.add(quick, soon.toNanos());
        await().atMost(Duration.ofSeconds(5)).until(() -> quick.expired.get() == 1);
        assertThat(slow.expired).hasValue(0);
    }
}
