package dev.omnibus.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.tck.BrokerServers;
import dev.omnibus.examples.CapturedStdout;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** What {@code omnibus cluster} says when orders go missing: which ones, and each process's subscription state. */
class ClusterDiagnosticsTest extends CapturedStdout {
    @Test
    @DisplayName("the final tally names the missing orders")
    void tallyNamesTheMissing() {
        ClusterCommand.Tally tally = new ClusterCommand.Tally();
        for (int i = 1; i <= 5; i++) {
            if (i != 3) {
                tally.handled.put("order-" + i, new AtomicInteger(1));
            }
            tally.audited.put("order-" + i, new AtomicInteger(1));
        }
        assertThat(tally.printFinal(5, true, true)).isFalse();
        assertThat(out()).contains("4 of 5 unique").contains("missing from the inventory group: 1 [order-3]")
                .doesNotContain("not audited");
        assertThat(ClusterCommand.Tally.missing(tally.handled, 30)).startsWith("26 [order-3, order-6,").endsWith("...");
    }

    @Test
    @DisplayName("a stall asks the live processes for their state: handler calls, the order in hand, the subscription's buffer and drains")
    void stallAsksForState() throws Exception {
        ClusterCommand.Tally tally = new ClusterCommand.Tally();
        String prefix = "diag" + Long.toString(System.nanoTime() % 1_000_000, 36);
        ClusterCommand.Node audit = ClusterCommand.Node.start("audit", BrokerServers.natsUrl(), prefix, tally);
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> tally.ready.get() == 1);
            tally.reportStall(List.of(audit), 2);
            await().atMost(Duration.ofSeconds(20)).until(() -> out().contains("[audit] "));
            assertThat(out()).contains("stalled: no order handled for 10s; missing from the inventory group: 2 [order-1, order-2]")
                    .contains("[audit] started=0 finished=0 inHand=null subscription=NatsSubscription{topic=" + prefix + ".orders.created")
                    .contains("buffered=0").contains("drains=0").contains("connected=true");
        } finally {
            audit.stop();
        }
    }
}
