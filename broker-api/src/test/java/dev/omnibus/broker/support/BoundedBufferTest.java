package dev.omnibus.broker.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The buffer under every subscription: FIFO across wrap-arounds and growth, bounded, closable. */
class BoundedBufferTest {

    /**
     * Interleaved offers, polls and drains against an {@link ArrayDeque}: the array wraps many
     * times and grows while wrapped (16 → 32 → 64 → 100 slots: the last length is no power of two).
     */
    @Test
    void keepsOrderAcrossWrapAndGrowth() {
        for (int capacity : new int[] {1, 7, 16, 100, 1024}) {
            BoundedBuffer buffer = new BoundedBuffer(capacity);
            ArrayDeque<Integer> model = new ArrayDeque<>();
            Random random = new Random(capacity);
            int next = 0;
            for (int step = 0; step < 20_000; step++) {
                int op = random.nextInt(10);
                if (op < 6) {
                    int expected = model.size() < capacity ? BoundedBuffer.ADDED : BoundedBuffer.FULL;
                    assertThat(buffer.offer(next)).as("offer at size %d of %d", model.size(), capacity).isEqualTo(expected);
                    if (expected == BoundedBuffer.ADDED) {
                        model.add(next);
                    }
                    next++;
                } else if (op < 9) {
                    assertThat(buffer.poll()).isEqualTo(model.poll());
                } else {
                    List<Object> out = new ArrayList<>();
                    int max = 1 + random.nextInt(40);
                    int n = buffer.drainTo(out, max);
                    List<Integer> expected = new ArrayList<>();
                    while (expected.size() < max && !model.isEmpty()) {
                        expected.add(model.poll());
                    }
                    assertThat(n).isEqualTo(expected.size());
                    assertThat(out).containsExactlyElementsOf(expected);
                }
                assertThat(buffer.size()).isEqualTo(model.size());
            }
            List<Object> rest = new ArrayList<>();
            buffer.close(rest);
            assertThat(rest).containsExactlyElementsOf(model);
            assertThat(buffer.offer(next)).isEqualTo(BoundedBuffer.CLOSED);
            assertThat(buffer.isEmpty()).isTrue();
        }
    }

    @Test
    void fillsToCapacityFromAnyStartingPoint() throws InterruptedException {
        BoundedBuffer buffer = new BoundedBuffer(100);
        for (int i = 0; i < 37; i++) {
            buffer.offer(i);
            buffer.poll();
        }
        // head is at 5 of 16 slots: filling it grows the array three times (to 32, 64, 100) while wrapped
        for (int i = 0; i < 100; i++) {
            assertThat(buffer.offer(i)).isEqualTo(BoundedBuffer.ADDED);
        }
        assertThat(buffer.offer(100)).isEqualTo(BoundedBuffer.FULL);
        assertThat(buffer.offer(100, 1_000_000)).as("timed offer on a full buffer").isEqualTo(BoundedBuffer.FULL);
        List<Object> out = new ArrayList<>();
        assertThat(buffer.drainTo(out, Integer.MAX_VALUE)).isEqualTo(100);
        for (int i = 0; i < 100; i++) {
            assertThat(out.get(i)).isEqualTo(i);
        }
    }
}
