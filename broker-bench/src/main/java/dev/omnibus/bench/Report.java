package dev.omnibus.bench;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/** Prints the results as a table and writes them as JSON and as a PNG chart of the ratios. */
public final class Report {
    private Report() {
    }

    /** The Omnibus / reference throughput ratio for {@code r}, or NaN for the Omnibus row itself. */
    static double ratio(Result r, List<Result> all) {
        if (r.omnibus()) {
            return Double.NaN;
        }
        return all.stream().filter(o -> o.omnibus() && o.scenario().equals(r.scenario()) && o.bodySize() == r.bodySize())
                .findFirst().map(o -> o.medianRate() / r.medianRate()).orElse(Double.NaN);
    }

    public static void printTable(List<Result> results, PrintStream out) {
        int scenarioWidth = Math.max(30, results.stream().mapToInt(r -> r.scenario().length()).max().orElse(0));
        int implementationWidth = Math.max(22, results.stream().mapToInt(r -> r.implementation().length()).max().orElse(0));
        String header = "%-" + scenarioWidth + "s %6s  %-" + implementationWidth + "s %12s  %-23s %9s %9s  %s%n";
        String row = "%-" + scenarioWidth + "s %6s  %-" + implementationWidth + "s %,12.0f  %-23s %9.1f %9.1f  %s%n";
        out.printf(Locale.ROOT, header, "scenario", "body", "implementation",
                "msg/s", "range (min-max)", "p50 us", "p99 us", "omnibus/this");
        String last = "";
        for (Result r : results) {
            String key = r.scenario() + r.bodySize();
            double ratio = ratio(r, results);
            out.printf(Locale.ROOT, row,
                    key.equals(last) ? "" : r.scenario(), key.equals(last) ? "" : r.bodySize() + " B", r.implementation(),
                    r.medianRate(), String.format(Locale.ROOT, "%,.0f-%,.0f", r.minRate(), r.maxRate()),
                    r.p50Micros(), r.p99Micros(), Double.isNaN(ratio) ? "" : String.format(Locale.ROOT, "%.2f", ratio));
            last = key;
        }
    }

    public static void writeJson(List<Result> results, Map<String, Object> run, Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Map<String, Object> doc = new LinkedHashMap<>(run);
        doc.put("date", OffsetDateTime.now().toString());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Result r : results) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("scenario", r.scenario());
            row.put("bodyBytes", r.bodySize());
            row.put("implementation", r.implementation());
            row.put("omnibus", r.omnibus());
            row.put("medianMsgPerSec", Math.round(r.medianRate()));
            row.put("minMsgPerSec", Math.round(r.minRate()));
            row.put("maxMsgPerSec", Math.round(r.maxRate()));
            row.put("p50Micros", r.p50Micros());
            row.put("p99Micros", r.p99Micros());
            row.put("rounds", r.rounds());
            row.put("messagesPerRound", r.messages());
            double ratio = ratio(r, results);
            row.put("omnibusOverThis", Double.isNaN(ratio) ? null : Math.round(ratio * 100) / 100.0);
            rows.add(row);
        }
        doc.put("results", rows);
        JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build().writeValue(file.toFile(), doc);
    }

    public static void writeChart(List<Result> results, Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        List<String> labels = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        for (Result r : results) {
            double ratio = ratio(r, results);
            if (!Double.isNaN(ratio)) {
                labels.add(r.scenario() + " " + r.bodySize() + "B vs " + r.implementation());
                ratios.add(ratio);
            }
        }
        if (labels.isEmpty()) {
            return;
        }
        CategoryChart chart = new CategoryChartBuilder().width(1200).height(300 + 28 * labels.size())
                .title("Omnibus throughput / reference throughput (1.0 = as fast)").xAxisTitle("").yAxisTitle("ratio").build();
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setXAxisLabelRotation(60);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setDecimalPattern("0.00");
        chart.getStyler().setChartTitleVisible(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.addSeries("ratio", labels, ratios);
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
