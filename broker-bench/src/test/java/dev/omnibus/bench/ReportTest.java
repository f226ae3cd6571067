package dev.omnibus.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs written as results.json and read back into the tables: one run's table and several runs' bounds side by side. */
class ReportTest {
    @TempDir
    Path dir;

    private static Result result(String scenario, int body, String name, boolean omnibus, double[] rates, double[] p99s) {
        return Result.of(scenario, body, name, omnibus, rates, p99s, 1, Stats.max(p99s), 1000);
    }

    private static double[] all(double d) {
        return new double[] {d, d, d};
    }

    /** A run with memory 1 → 1 against ABQ (Omnibus {@code memoryRate} : 100) and, if asked, NATS core 128 B with p99s. */
    private Path run(String name, double memoryRate, boolean withNats) throws Exception {
        List<Result> results = new ArrayList<>(List.of(
                result("memory 1->1", 128, "omnibus memory", true, all(memoryRate), all(10)),
                result("memory 1->1", 128, "ArrayBlockingQueue", false, all(100), all(10)),
                result("memory 1->1", 128, "LMAX Disruptor", false, all(100), all(10))));
        if (withNats) {
            results.add(result("nats core pub->sub", 128, "omnibus nats", true, all(95), new double[] {120, 130, 140}));
            results.add(result("nats core pub->sub", 128, "raw jnats + id header", false, all(100), all(100)));
        }
        Path file = dir.resolve(name);
        Report.writeJson(results, Map.of("command", "test"), file);
        return file;
    }

    @Test
    @DisplayName("a run read back gives the same table as the run that wrote it, labelled by when it finished")
    void roundTrip() throws Exception {
        Path file = run("a.json", 80, true);
        Report.Run r = Report.readRun(file);
        assertThat(r.label()).matches("\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}");
        assertThat(Report.markdownTable(r.results())).isEqualTo(Report.markdownTable(Report.readJson(file)))
                .contains("| memory 1→1 | 128 B | 80 |").contains("| 0.80 | ArrayBlockingQueue ≥0.75 | yes |")
                // the target written as the per-run table writes it
                .contains("| 0.95, p99 1.40 | raw jnats + id header ≥0.90, p99 ≤1.5 | yes |");
    }

    @Test
    @DisplayName("several runs: one line per row with a target, one column per run with bound (median), p99 bound and ✓ where met")
    void boundsSideBySide() throws Exception {
        Report.Run met = Report.readRun(run("met.json", 80, true));
        Report.Run shortOfIt = Report.readRun(run("short.json", 70, false));
        String table = Report.boundTable(List.of(new Report.Run("first", met.results()), new Report.Run("second", shortOfIt.results())));
        assertThat(table.lines()).containsExactly(
                "| scenario | body | reference | target | first | second |",
                "|---|---|---|---|---|---|",
                "| memory 1→1 | 128 B | ArrayBlockingQueue | ≥0.75 | 0.80 (0.80) ✓ | 0.70 (0.70) |",
                "| nats core pub→sub | 128 B | raw jnats + id header | ≥0.90, p99 ≤1.5 | 0.95 (0.95), p99 1.40 ✓ | – |");
    }

    @Test
    @DisplayName("a file without a date is labelled by its name; one without per-round figures is refused with what to do")
    void labelsAndOldFiles() throws Exception {
        JsonMapper json = JsonMapper.builder().build();
        Path file = run("undated.json", 80, false);
        ObjectNode doc = (ObjectNode) json.readTree(file.toFile());
        doc.remove("date");
        json.writeValue(file.toFile(), doc);
        assertThat(Report.readRun(file).label()).isEqualTo("undated.json");

        ((ObjectNode) doc.get("results").get(0)).remove("roundMsgPerSec");
        Path old = dir.resolve("old.json");
        json.writeValue(old.toFile(), doc);
        assertThatThrownBy(() -> Report.readRun(old)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("old.json").hasMessageContaining("run the bench again");
    }
}
