package dev.omnibus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omnibus.broker.SubscribeOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keeps the harness honest: a tiny run of real workloads produces a table, JSON and a chart. */
class HarnessTest {
    @Test
    @DisplayName("a small run measures Omnibus beside its references and reports their ratio")
    void smallRun(@TempDir Path dir) throws Exception {
        Harness harness = new Harness(1, 3, Duration.ofSeconds(30));
        List<Result> results = harness.run("memory 1->4 broadcast", 128, 2_000, List.<Supplier<Workload>>of(
                () -> new OmnibusWorkload("omnibus memory", "memory:", 4, SubscribeOptions.defaults(), 0),
                () -> new MemoryReferences.QueueHandoff(4, false),
                () -> new MemoryReferences.LmaxDisruptor(4)));
        assertThat(results).extracting(Result::implementation)
                .containsExactly("omnibus memory", "ArrayBlockingQueue", "LMAX Disruptor");
        for (Result r : results) {
            assertThat(r.minRate()).isPositive();
            assertThat(r.medianRate()).isBetween(r.minRate(), r.maxRate());
            assertThat(r.p99Micros()).isGreaterThanOrEqualTo(r.p50Micros());
        }
        assertThat(Report.ratio(results.get(0), results)).isNaN();
        for (Result r : results) {
            assertThat(r.roundRates()).hasSize(3).doesNotContain(0.0);
            assertThat(r.roundP99Micros()).hasSize(3);
        }
        // the ratio is taken round by round: the median of Omnibus / reference over the same rounds
        double[] perRound = new double[3];
        for (int i = 0; i < 3; i++) {
            perRound[i] = results.get(0).roundRates()[i] / results.get(1).roundRates()[i];
        }
        assertThat(Report.ratio(results.get(1), results)).isEqualTo(Stats.median(perRound));

        ByteArrayOutputStream table = new ByteArrayOutputStream();
        Report.printTable(results, new PrintStream(table, true, StandardCharsets.UTF_8));
        assertThat(table.toString(StandardCharsets.UTF_8)).contains("omnibus/this").contains("LMAX Disruptor");
        Report.writeJson(results, Map.of("command", "test"), dir.resolve("results.json"));
        Report.writeCsv(results, dir.resolve("results.csv"));
        Report.writeChart(results, dir.resolve("ratios.png"));
        assertThat(Files.readString(dir.resolve("results.json"))).contains("\"omnibusOverThis\"").contains("\"roundRatios\"");
        assertThat(Files.readAllLines(dir.resolve("results.csv"))).hasSize(4);
        assertThat(Files.size(dir.resolve("ratios.png"))).isPositive();

        // the README table regenerated from the JSON is the one of the run itself
        List<Result> read = Report.readJson(dir.resolve("results.json"));
        assertThat(Report.markdownTable(read)).isEqualTo(Report.markdownTable(results)).contains("memory 1→4 broadcast");
    }

    @Test
    @DisplayName("a baseline Omnibus row is compared with the scenario's Omnibus row, like a reference")
    void baseline() throws Exception {
        Harness harness = new Harness(0, 1, Duration.ofSeconds(30));
        List<Result> results = harness.run("memory group beside broadcast, a long scenario name", 128, 1_000,
                List.<Supplier<Workload>>of(
                        () -> new OmnibusWorkload("omnibus memory group", "memory:", 1,
                                SubscribeOptions.builder().queue("g").build(), 0),
                        () -> new OmnibusWorkload("omnibus memory broadcast, a long name", "memory:", 1,
                                SubscribeOptions.defaults(), 0, "other").asBaseline()));
        assertThat(results).extracting(Result::omnibus).containsExactly(true, false);
        assertThat(Report.ratio(results.get(1), results))
                .isEqualTo(results.get(0).medianRate() / results.get(1).medianRate()); // one round: its ratio

        ByteArrayOutputStream table = new ByteArrayOutputStream();
        Report.printTable(results, new PrintStream(table, true, StandardCharsets.UTF_8));
        List<String> lines = table.toString(StandardCharsets.UTF_8).lines().toList();
        // columns stay aligned however long the names: the ratio column starts where its header does
        int ratioColumn = lines.get(0).indexOf("omnibus/this");
        assertThat(lines.get(2).length()).isGreaterThan(ratioColumn);
        assertThat(lines.get(2).charAt(ratioColumn - 1)).isEqualTo(' ');
        assertThat(lines.get(2).substring(ratioColumn)).matches("\\d+\\.\\d\\d \\[\\d+\\.\\d\\d-\\d+\\.\\d\\d\\] .*");
    }

    @Test
    @DisplayName("a probe counts deliveries and measures latency from the stamp in the body")
    void probe() throws Exception {
        Probe probe = new Probe(2);
        byte[] body = Probe.stampedBody(128);
        assertThat(body).hasSize(128);
        probe.delivered(body);
        probe.delivered(Probe.stampedBody(3));
        probe.await(Duration.ofSeconds(1));
        assertThat(probe.latency().getTotalCount()).isEqualTo(2);
    }
}
