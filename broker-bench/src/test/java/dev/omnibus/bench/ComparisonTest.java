package dev.omnibus.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The statistics of the report: per-round ratios, their median and bounds, and when a row is met. */
class ComparisonTest {
    private static Result result(String scenario, int body, String name, boolean omnibus, double[] rates, double[] p99s) {
        return Result.of(scenario, body, name, omnibus, rates, p99s, 1, Stats.max(p99s), 1000);
    }

    @Test
    @DisplayName("median and bounds of an odd and an even number of values")
    void stats() {
        assertThat(Stats.median(new double[] {3, 1, 2})).isEqualTo(2);
        assertThat(Stats.median(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
        assertThat(Stats.median(new double[0])).isNaN();
        assertThat(Stats.min(new double[] {3, 1, 2})).isEqualTo(1);
        assertThat(Stats.max(new double[] {3, 1, 2})).isEqualTo(3);
        assertThat(Stats.ratios(new double[] {2, 9}, new double[] {4, 3})).containsExactly(0.5, 3.0);
        assertThatThrownBy(() -> Stats.ratios(new double[1], new double[2])).hasMessageContaining("rounds differ");
    }

    @Test
    @DisplayName("ratios are taken round by round, not as the ratio of the medians")
    void perRound() {
        // both sides swing together (a noisy neighbour in rounds 2 and 3): per round Omnibus is always 0.9x
        Result omnibus = result("memory 1->1", 128, "omnibus memory", true, new double[] {90, 45, 180}, new double[] {10, 10, 10});
        Result abq = result("memory 1->1", 128, "ArrayBlockingQueue", false, new double[] {100, 50, 200}, new double[] {10, 10, 10});
        Comparison c = Comparison.of(omnibus, abq);
        assertThat(c.roundRatios()).containsExactly(0.9, 0.9, 0.9);
        assertThat(c.median()).isEqualTo(0.9);
        assertThat(c.min()).isEqualTo(0.9);
        assertThat(c.max()).isEqualTo(0.9);
        assertThat(c.lowerBound()).isEqualTo(0.9);
        assertThat(c.target()).map(Target::minRatio).contains(0.75);
        assertThat(c.met()).contains(true);
    }

    @Test
    @DisplayName("a row is met only when its lowest round meets the target, though the median does")
    void lowerBound() {
        Result omnibus = result("memory 1->1", 128, "omnibus memory", true, new double[] {110, 120, 80}, new double[] {10, 10, 10});
        Result guava = result("memory 1->1", 128, "Guava AsyncEventBus", false, new double[] {100, 100, 100}, new double[] {10, 10, 10});
        Comparison c = Comparison.of(omnibus, guava);
        assertThat(c.median()).isCloseTo(1.1, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(c.min()).isCloseTo(0.8, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(c.max()).isCloseTo(1.2, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(c.lowerBound()).as("3 rounds: the bound is the lowest round").isCloseTo(0.8, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(c.met()).contains(false);
    }

    @Test
    @DisplayName("the 95 % bound of the median is the k-th lowest round, k from the binomial distribution: more rounds tighten it")
    void confidenceBound() {
        // k: the largest with P(Binomial(n, 1/2) <= k - 1) <= 5 %
        assertThat(Stats.boundRank(1)).isEqualTo(1);
        assertThat(Stats.boundRank(3)).isEqualTo(1);
        assertThat(Stats.boundRank(5)).as("1/32 = 3.1 %").isEqualTo(1);
        assertThat(Stats.boundRank(7)).as("8/128 = 6.3 % is too much for k = 2").isEqualTo(1);
        assertThat(Stats.boundRank(8)).as("9/256 = 3.5 %").isEqualTo(2);
        assertThat(Stats.boundRank(11)).as("67/2048 = 3.3 %, 232/2048 = 11 %").isEqualTo(3);
        assertThat(Stats.boundRank(20)).as("P(X <= 5) = 2.1 %, P(X <= 6) = 5.8 %").isEqualTo(6);
        double[] eleven = {0.5, 0.95, 0.97, 1.0, 1.0, 1.1, 1.1, 1.2, 1.2, 1.3, 0.7};
        assertThat(Stats.lowerBound(eleven)).as("third lowest").isEqualTo(0.95);
        assertThat(Stats.upperBound(eleven)).as("third highest").isEqualTo(1.2);
        assertThat(Stats.lowerBound(new double[] {3, 1, 2, 5, 4})).isEqualTo(1);
        assertThat(Stats.upperBound(new double[] {3, 1, 2, 5, 4})).isEqualTo(5);
        assertThat(Stats.lowerBound(new double[0])).isNaN();

        // one bad round of eleven (a neighbour stole the CPU) does not fail the row; three do
        double[] ref = new double[11];
        java.util.Arrays.fill(ref, 100);
        double[] p99 = new double[11];
        java.util.Arrays.fill(p99, 10);
        double[] oneBad = {50, 40, 95, 96, 97, 98, 99, 100, 101, 102, 103};
        Comparison c = Comparison.of(result("memory 1->1", 128, "omnibus memory", true, oneBad, p99),
                result("memory 1->1", 128, "Guava AsyncEventBus", false, ref, p99));
        assertThat(c.min()).isEqualTo(0.4);
        assertThat(c.lowerBound()).isEqualTo(0.95);
        assertThat(c.met()).as("target 1.0: the bound 0.95 is below it").contains(false);
        Comparison abq = Comparison.of(result("memory 1->1", 128, "omnibus memory", true, oneBad, p99),
                result("memory 1->1", 128, "ArrayBlockingQueue", false, ref, p99));
        assertThat(abq.met()).as("target 0.75, two rounds below it of eleven").contains(true);
        double[] threeBad = {50, 40, 60, 96, 97, 98, 99, 100, 101, 102, 103};
        assertThat(Comparison.of(result("memory 1->1", 128, "omnibus memory", true, threeBad, p99),
                result("memory 1->1", 128, "ArrayBlockingQueue", false, ref, p99)).met()).contains(false);
    }

    @Test
    @DisplayName("a latency target fails the row when the worst round's p99 ratio exceeds it")
    void latencyTarget() {
        double[] rates = {100, 100, 100};
        Result omnibus = result("nats core pub->sub", 128, "omnibus nats", true, rates, new double[] {100, 140, 160});
        Result raw = result("nats core pub->sub", 128, "raw jnats + id header", false, rates, new double[] {100, 100, 100});
        Comparison c = Comparison.of(omnibus, raw);
        assertThat(c.target()).map(Target::maxP99Ratio).contains(1.5);
        assertThat(c.lowerBound()).isEqualTo(1.0);
        assertThat(c.p99Median()).isEqualTo(1.4);
        assertThat(c.p99Max()).isEqualTo(1.6);
        assertThat(c.p99UpperBound()).isEqualTo(1.6);
        assertThat(c.met()).contains(false);
        // the 1 KiB row is judged against raw jnats without headers, on throughput only
        assertThat(Target.of("nats core pub->sub", 1024, "raw jnats + id header")).isEmpty();
        assertThat(Target.of("nats core pub->sub", 1024, "raw jnats")).map(Target::hasLatencyTarget).contains(false);
    }

    @Test
    @DisplayName("a reference without a target is reported without a verdict")
    void noTarget() {
        double[] r = {1, 1, 1};
        List<Result> results = List.of(result("memory 1->1", 128, "omnibus memory", true, r, r),
                result("memory 1->1", 128, "LMAX Disruptor", false, r, r),
                result("memory 1->1", 128, "ArrayBlockingQueue", false, new double[] {2, 2, 2}, r));
        List<Comparison> all = Comparison.all(results);
        assertThat(all).hasSize(2);
        assertThat(all.get(0).met()).isEmpty();
        assertThat(all.get(1).met()).contains(false);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Report.printTable(results, new PrintStream(out, true, StandardCharsets.UTF_8));
        String table = out.toString(StandardCharsets.UTF_8);
        assertThat(table).contains("0.50 [0.50-0.50]").contains(">=0.75").contains("NO");
        assertThat(Report.markdownTable(results)).contains("| memory 1→1 | 128 B | 1 |")
                .contains("LMAX Disruptor 1 · ArrayBlockingQueue 2").contains("1.00 [1.00–1.00] · 0.50 [0.50–0.50]")
                .contains("| 0.50 | ArrayBlockingQueue ≥0.75 | NO |");
    }
}
