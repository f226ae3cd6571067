package dev.omnibus.broker.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The commit a partition's ledger makes, and what the next owner reads from it (no broker needed). */
@DisplayName("PartitionLedger: the settled prefix is committed, and records settled above it are skipped by the next owner")
class PartitionLedgerTest {
    private static final TopicPartition P = new TopicPartition("t", 0);

    private static PartitionLedger offeredUpTo(OffsetAndMetadata from, int n) {
        PartitionLedger l = new PartitionLedger(P, from);
        for (long o = from == null ? 0 : from.offset(); o < n; o++) {
            l.offered(o);
        }
        return l;
    }

    @Test
    @DisplayName("settled records behind an unsettled one travel in the commit's metadata as ranges")
    void settledAboveThePrefix() {
        PartitionLedger l = offeredUpTo(null, 10);
        l.settled(0);
        l.settled(2);
        l.settled(3);
        l.settled(5);
        OffsetAndMetadata c = l.toCommit();
        assertThat(c.offset()).isEqualTo(1);
        assertThat(c.metadata()).isEqualTo("omnibus:delivered=10;settled=2-3,5");
        assertThat(PartitionLedger.deliveredOf(c)).isEqualTo(10);
        l.committed(c);
        assertThat(l.toCommit()).as("nothing changed since").isNull();
        l.settled(9);
        assertThat(l.toCommit().metadata()).isEqualTo("omnibus:delivered=10;settled=2-3,5,9");
    }

    @Test
    @DisplayName("the next owner skips what the earlier one settled, hands out the rest, and keeps the skips it has not reached in its own commits")
    void nextOwnerSkips() {
        OffsetAndMetadata earlier = new OffsetAndMetadata(1, "omnibus:delivered=10;settled=2-3,5");
        PartitionLedger l = new PartitionLedger(P, earlier);
        assertThat(l.skip(1)).isFalse();
        l.offered(1);
        l.settled(1);
        assertThat(l.toCommit().metadata()).as("before reaching the skipped records").isEqualTo("omnibus:delivered=10;settled=2-3,5");
        assertThat(l.toCommit().offset()).isEqualTo(2);
        assertThat(l.skip(2)).isTrue();
        assertThat(l.skip(3)).isTrue();
        assertThat(l.skip(4)).isFalse();
        l.offered(4);
        assertThat(l.skip(5)).isTrue();
        assertThat(l.skip(6)).isFalse();
        l.offered(6);
        assertThat(l.firstAttempt(4)).as("handed out before: a redelivery").isEqualTo(2);
        OffsetAndMetadata c = l.toCommit();
        assertThat(c.offset()).isEqualTo(4);
        assertThat(c.metadata()).isEqualTo("omnibus:delivered=10;settled=5");
        l.settled(4);
        l.settled(6);
        assertThat(l.toCommit().offset()).isEqualTo(7);
        assertThat(l.toCommit().metadata()).isEqualTo("omnibus:delivered=10");
    }

    @Test
    @DisplayName("metadata without settled ranges (an older commit) and unreadable metadata skip nothing")
    void olderMetadata() {
        assertThat(new PartitionLedger(P, new OffsetAndMetadata(4, "omnibus:delivered=12")).skip(5)).isFalse();
        assertThat(PartitionLedger.deliveredOf(new OffsetAndMetadata(4, "omnibus:delivered=12"))).isEqualTo(12);
        assertThat(new PartitionLedger(P, new OffsetAndMetadata(4, "omnibus:delivered=12;settled=x-")).skip(5)).isFalse();
        assertThat(new PartitionLedger(P, new OffsetAndMetadata(4, "someone else's")).skip(5)).isFalse();
        assertThat(new PartitionLedger(P, null).skip(0)).isFalse();
    }

    @Test
    @DisplayName("the ranges stay within the metadata limit: past it the rest is redelivered, never skipped wrongly")
    void boundedMetadata() {
        PartitionLedger l = offeredUpTo(null, 20_000);
        for (long o = 1; o < 20_000; o += 2) {
            l.settled(o);
        }
        OffsetAndMetadata c = l.toCommit();
        assertThat(c.offset()).isZero();
        assertThat(c.metadata().length()).isLessThanOrEqualTo(PartitionLedger.MAX_SETTLED_CHARS + 40);
        PartitionLedger next = new PartitionLedger(P, c);
        assertThat(next.skip(1)).isTrue();
        assertThat(next.skip(2)).isFalse();
        assertThat(next.skip(19_999)).as("beyond what fitted").isFalse();
    }

    @Test
    @DisplayName("withoutSettled keeps the offset and the delivered mark and drops the list")
    void withoutSettled() {
        OffsetAndMetadata c = new OffsetAndMetadata(17, PartitionLedger.DELIVERED + 40 + PartitionLedger.SETTLED + "18-20,23");
        assertThat(PartitionLedger.withoutSettled(c)).isEqualTo(new OffsetAndMetadata(17, PartitionLedger.DELIVERED + 40));
        OffsetAndMetadata plain = new OffsetAndMetadata(5, PartitionLedger.DELIVERED + 5);
        assertThat(PartitionLedger.withoutSettled(plain)).isSameAs(plain);
    }
}
