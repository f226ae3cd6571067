package dev.omnibus.broker.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.omnibus.broker.NotConnectedException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ConnectionGateTest {
    @Test
    void waitersGoOnWhenTheConnectionIsBack() throws Exception {
        ConnectionGate gate = new ConnectionGate(true);
        assertThat(gate.await(System.nanoTime())).isTrue();
        assertThat(gate.markDown()).isTrue();
        assertThat(gate.markDown()).as("already down").isFalse();
        CompletableFuture<Void> later = gate.whenOpen();
        CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return gate.await(System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(later).isNotDone();
        assertThat(gate.markUp()).isTrue();
        assertThat(later.get(5, TimeUnit.SECONDS)).isNull();
        assertThat(waiting.get(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aWaitEndsAtItsDeadline() throws Exception {
        ConnectionGate gate = new ConnectionGate(false);
        long start = System.nanoTime();
        assertThat(gate.await(start + Duration.ofMillis(100).toNanos())).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(90));
    }

    @Test
    void closingForGoodFailsEveryWaiterAndStaysClosed() throws Exception {
        ConnectionGate gate = new ConnectionGate(false);
        CompletableFuture<Void> waiter = gate.whenOpen();
        gate.close(new NotConnectedException("the broker disconnected"));
        assertThatThrownBy(() -> waiter.get(1, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(NotConnectedException.class);
        assertThat(gate.markUp()).isFalse();
        assertThat(gate.isOpen()).isFalse();
        assertThat(gate.await(System.nanoTime() + TimeUnit.SECONDS.toNanos(5))).isFalse();
        assertThat(gate.whenOpen()).isCompletedExceptionally();
    }
}
