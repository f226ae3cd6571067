package dev.omnibus.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * Prints the results as a table and writes them as JSON, CSV, a Markdown table and a PNG chart
 * of the ratios. Every ratio is Omnibus / reference taken round by round ({@link Comparison}):
 * shown as the median with [min–max] over the rounds; "met" compares the bound with the target.
 */
public final class Report {
    private static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    private Report() {
    }

    /** The median per-round Omnibus / reference throughput ratio for {@code r}, or NaN for the Omnibus row itself. */
    static double ratio(Result r, List<Result> all) {
        return comparison(r, all).map(Comparison::median).orElse(Double.NaN);
    }

    static Optional<Comparison> comparison(Result r, List<Result> all) {
        if (r.omnibus()) {
            return Optional.empty();
        }
        return all.stream().filter(o -> o.omnibus() && o.scenario().equals(r.scenario()) && o.bodySize() == r.bodySize())
                .findFirst().map(o -> Comparison.of(o, r));
    }

    static String spread(Comparison c) {
        return String.format(Locale.ROOT, "%.2f [%.2f-%.2f]", c.median(), c.min(), c.max());
    }

    /** The confidence bounds {@link Comparison#met()} judges: the throughput ratio's lower, and the p99 ratio's upper where latency has a target. */
    static String bound(Comparison c) {
        return String.format(Locale.ROOT, "%.2f", c.lowerBound())
                + (c.target().filter(Target::hasLatencyTarget).isPresent() ? String.format(Locale.ROOT, ", p99 %.2f", c.p99UpperBound()) : "");
    }

    static String target(Target t) {
        return String.format(Locale.ROOT, ">=%.2f", t.minRatio())
                + (t.hasLatencyTarget() ? String.format(Locale.ROOT, ", p99<=%.1f", t.maxP99Ratio()) : "");
    }

    /** The target as both Markdown tables show it: {@code ≥0.90, p99 ≤1.5}. */
    static String markdownTarget(Target t) {
        return target(t).replace(">=", "≥").replace("p99<=", "p99 ≤");
    }

    static String met(Comparison c) {
        return c.met().map(m -> m ? "yes" : "NO").orElse("");
    }

    public static void printTable(List<Result> results, PrintStream out) {
        int scenarioWidth = Math.max(30, results.stream().mapToInt(r -> r.scenario().length()).max().orElse(0));
        int implementationWidth = Math.max(22, results.stream().mapToInt(r -> r.implementation().length()).max().orElse(0));
        String header = "%-" + scenarioWidth + "s %6s  %-" + implementationWidth + "s %12s  %-23s %9s %9s  %-20s %-16s %-14s %-16s %s%n";
        String row = "%-" + scenarioWidth + "s %6s  %-" + implementationWidth + "s %,12.0f  %-23s %9.1f %9.1f  %-20s %-16s %-14s %-16s %s%n";
        out.printf(Locale.ROOT, header, "scenario", "body", "implementation",
                "msg/s", "range (min-max)", "p50 us", "p99 us", "omnibus/this [min-max]", "p99 o/t [max]", "95% bound", "target", "met");
        String last = "";
        for (Result r : results) {
            String key = r.scenario() + r.bodySize();
            Optional<Comparison> c = comparison(r, results);
            out.printf(Locale.ROOT, row,
                    key.equals(last) ? "" : r.scenario(), key.equals(last) ? "" : r.bodySize() + " B", r.implementation(),
                    r.medianRate(), String.format(Locale.ROOT, "%,.0f-%,.0f", r.minRate(), r.maxRate()),
                    r.p50Micros(), r.p99Micros(),
                    c.map(Report::spread).orElse(""),
                    c.map(x -> String.format(Locale.ROOT, "%.2f [%.2f]", x.p99Median(), x.p99Max())).orElse(""),
                    c.map(Report::bound).orElse(""),
                    c.flatMap(Comparison::target).map(Report::target).orElse(""),
                    c.map(Report::met).orElse(""));
            last = key;
        }
        out.printf(Locale.ROOT, "%nomnibus/this: median of the per-round throughput ratios [lowest-highest round];"
                + " p99 o/t: median [highest] per-round p99 ratio;%n95%% bound: the 95%% lower confidence bound of the median"
                + " throughput ratio (the lowest round with up to 7 rounds, the 3rd lowest of 11), and of p99 the upper;"
                + "%nmet: lower bound >= target (and p99 upper bound <= its target where there is one).%n");
    }

    public static void writeJson(List<Result> results, Map<String, Object> run, Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Map<String, Object> doc = new LinkedHashMap<>(run);
        doc.put("date", OffsetDateTime.now().toString());
        doc.put("ratios", "Omnibus / reference per measured round; median and min-max over the rounds; lower bound = the 95 %"
                + " lower confidence bound of the median (the k-th lowest round, k from the binomial distribution: 1 up to 7"
                + " rounds, 3 of 11), p99 upper bound likewise; met = lower bound >= targetMinRatio and, where"
                + " targetMaxP99Ratio is set, p99 upper bound <= it");
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
            row.put("roundMsgPerSec", Arrays.stream(r.roundRates()).map(Math::round).toArray());
            row.put("roundP99Micros", r.roundP99Micros());
            Optional<Comparison> c = comparison(r, results);
            row.put("omnibusOverThis", c.map(x -> round2(x.median())).orElse(null));
            row.put("omnibusOverThisMin", c.map(x -> round2(x.min())).orElse(null));
            row.put("omnibusOverThisMax", c.map(x -> round2(x.max())).orElse(null));
            row.put("omnibusOverThisLowerBound", c.map(x -> round2(x.lowerBound())).orElse(null));
            row.put("roundRatios", c.map(x -> Arrays.stream(x.roundRatios()).map(Report::round2).toArray()).orElse(null));
            row.put("p99RatioMedian", c.map(x -> round2(x.p99Median())).orElse(null));
            row.put("p99RatioMax", c.map(x -> round2(x.p99Max())).orElse(null));
            row.put("p99RatioUpperBound", c.map(x -> round2(x.p99UpperBound())).orElse(null));
            Optional<Target> t = c.flatMap(Comparison::target);
            row.put("targetMinRatio", t.map(Target::minRatio).orElse(null));
            row.put("targetMaxP99Ratio", t.filter(Target::hasLatencyTarget).map(Target::maxP99Ratio).orElse(null));
            row.put("met", c.flatMap(Comparison::met).orElse(null));
            rows.add(row);
        }
        doc.put("results", rows);
        JSON.writeValue(file.toFile(), doc);
    }

    /** The results of a file {@link #writeJson} wrote (its per-round figures), to regenerate tables from it. */
    public static List<Result> readJson(Path file) throws IOException {
        return results(JSON.readTree(file.toFile()), file);
    }

    private static List<Result> results(JsonNode doc, Path file) {
        List<Result> out = new ArrayList<>();
        for (JsonNode n : doc.path("results")) {
            if (!n.has("roundMsgPerSec")) {
                throw new IllegalArgumentException(file + " has no per-round figures (roundMsgPerSec): it was written by an older"
                        + " bench; run the bench again to get a file the tables can be made from");
            }
            double[] rates = doubles(n.get("roundMsgPerSec"));
            out.add(Result.of(n.get("scenario").asText(), n.get("bodyBytes").asInt(), n.get("implementation").asText(),
                    n.get("omnibus").asBoolean(), rates, doubles(n.get("roundP99Micros")), n.get("p50Micros").asDouble(),
                    n.get("p99Micros").asDouble(), n.get("messagesPerRound").asInt()));
        }
        return out;
    }

    /** One bench run read back: its results and when it finished (its {@code date}, in UTC, to the minute). */
    public record Run(String label, List<Result> results) {
    }

    /** {@link #readJson} with the run's {@code date} as its label ("2026-12-03 13:54"), or the file's name where it has none. */
    public static Run readRun(Path file) throws IOException {
        JsonNode doc = JSON.readTree(file.toFile());
        JsonNode date = doc.path("date");
        String label = file.getFileName().toString();
        if (date.isTextual()) {
            label = OffsetDateTime.parse(date.asText()).atZoneSameInstant(ZoneOffset.UTC)
                    .format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT));
        }
        return new Run(label, results(doc, file));
    }

    /**
     * The verdicts of several runs side by side: one line per row with a target (scenario, body size
     * and reference, in the order they first appear), one column per run with the row's 95 % bound,
     * its median in brackets, the p99 ratio's upper bound where latency has a target, and ✓ where the
     * row was met; – where a run did not measure the row. Computed from each run's per-round figures,
     * as every other table is.
     */
    public static String boundTable(List<Run> runs) {
        Map<String, Comparison[]> rows = new LinkedHashMap<>();
        for (int i = 0; i < runs.size(); i++) {
            for (Comparison c : Comparison.all(runs.get(i).results())) {
                if (c.target().isEmpty()) {
                    continue;
                }
                Result r = c.reference();
                String key = r.scenario() + '\0' + r.bodySize() + '\0' + r.implementation();
                rows.computeIfAbsent(key, k -> new Comparison[runs.size()])[i] = c;
            }
        }
        StringBuilder b = new StringBuilder("| scenario | body | reference | target |");
        runs.forEach(run -> b.append(' ').append(run.label()).append(" |"));
        b.append("\n|---|---|---|---|").append("---|".repeat(runs.size())).append('\n');
        for (Comparison[] row : rows.values()) {
            Comparison first = Arrays.stream(row).filter(Objects::nonNull).findFirst().orElseThrow();
            Target t = first.target().orElseThrow();
            b.append("| ").append(first.reference().scenario().replace("->", "→")).append(" | ").append(body(first.reference().bodySize()))
                    .append(" | ").append(first.reference().implementation()).append(" | ")
                    .append(markdownTarget(t)).append(" |");
            for (Comparison c : row) {
                b.append(' ').append(c == null ? "–" : String.format(Locale.ROOT, "%.2f (%.2f)", c.lowerBound(), c.median())
                        + (t.hasLatencyTarget() ? String.format(Locale.ROOT, ", p99 %.2f", c.p99UpperBound()) : "")
                        + (c.met().orElse(false) ? " ✓" : "")).append(" |");
            }
            b.append('\n');
        }
        return b.toString();
    }

    private static String body(int bytes) {
        return bytes >= 1024 && bytes % 1024 == 0 ? bytes / 1024 + " KiB" : bytes + " B";
    }

    private static double[] doubles(JsonNode array) {
        double[] d = new double[array.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = array.get(i).asDouble();
        }
        return d;
    }

    private static double round2(double d) {
        return Math.round(d * 100) / 100.0;
    }

    /** One line per implementation with its comparison columns, for spreadsheets. */
    public static void writeCsv(List<Result> results, Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        StringBuilder b = new StringBuilder("scenario,bodyBytes,implementation,omnibus,medianMsgPerSec,minMsgPerSec,maxMsgPerSec,"
                + "p50Micros,p99Micros,rounds,messagesPerRound,ratioMedian,ratioMin,ratioMax,ratioLowerBound,p99RatioMedian,p99RatioMax,"
                + "p99RatioUpperBound,"
                + "targetMinRatio,targetMaxP99Ratio,met,roundRatios\n");
        for (Result r : results) {
            Optional<Comparison> c = comparison(r, results);
            Optional<Target> t = c.flatMap(Comparison::target);
            List<Object> cells = List.of(quote(r.scenario()), r.bodySize(), quote(r.implementation()), r.omnibus(),
                    Math.round(r.medianRate()), Math.round(r.minRate()), Math.round(r.maxRate()), r.p50Micros(), r.p99Micros(),
                    r.rounds(), r.messages(),
                    c.map(x -> (Object) round2(x.median())).orElse(""), c.map(x -> (Object) round2(x.min())).orElse(""),
                    c.map(x -> (Object) round2(x.max())).orElse(""), c.map(x -> (Object) round2(x.lowerBound())).orElse(""),
                    c.map(x -> (Object) round2(x.p99Median())).orElse(""), c.map(x -> (Object) round2(x.p99Max())).orElse(""),
                    c.map(x -> (Object) round2(x.p99UpperBound())).orElse(""), t.map(x -> (Object) x.minRatio()).orElse(""),
                    t.filter(Target::hasLatencyTarget).map(x -> (Object) x.maxP99Ratio()).orElse(""),
                    c.flatMap(Comparison::met).map(m -> (Object) m).orElse(""),
                    c.map(x -> (Object) Arrays.stream(x.roundRatios()).mapToObj(d -> Double.toString(round2(d)))
                            .collect(Collectors.joining(" "))).orElse(""));
            b.append(cells.stream().map(String::valueOf).collect(Collectors.joining(","))).append('\n');
        }
        Files.writeString(file, b);
    }

    private static String quote(String s) {
        return s.contains(",") || s.contains("\"") ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }

    /**
     * The README's table: one line per scenario and body size, Omnibus msg/s, each reference's msg/s,
     * each ratio as median [min–max] over the rounds with its 95 % bound, its target and whether it was met.
     */
    public static String markdownTable(List<Result> results) {
        StringBuilder b = new StringBuilder("| scenario | body | Omnibus msg/s | reference msg/s | Omnibus / reference, median [min–max] "
                + "| 95 % bound | target | met |\n|---|---|---|---|---|---|---|---|\n");
        for (Result o : results) {
            if (!o.omnibus()) {
                continue;
            }
            List<Comparison> cs = Comparison.all(results).stream()
                    .filter(c -> c.omnibus() == o).toList();
            if (cs.isEmpty()) {
                continue;
            }
            b.append("| ").append(o.scenario().replace("->", "→")).append(" | ")
                    .append(body(o.bodySize()))
                    .append(" | ").append(String.format(Locale.ROOT, "%,.0f", o.medianRate())).append(" | ")
                    .append(cs.stream().map(c -> c.reference().implementation() + String.format(Locale.ROOT, " %,.0f",
                            c.reference().medianRate())).collect(Collectors.joining(" · "))).append(" | ")
                    .append(cs.stream().map(c -> spread(c).replace('-', '–')).collect(Collectors.joining(" · "))).append(" | ")
                    .append(cs.stream().filter(c -> c.target().isPresent()).map(Report::bound).collect(Collectors.joining(" · ")))
                    .append(" | ")
                    .append(cs.stream().flatMap(c -> c.target().stream()).map(t -> t.reference() + " " + markdownTarget(t))
                            .collect(Collectors.joining(" · ")))
                    .append(" | ")
                    .append(cs.stream().map(Report::met).filter(s -> !s.isEmpty()).collect(Collectors.joining(" · ")))
                    .append(" |\n");
        }
        return b.toString();
    }

    public static void writeMarkdown(List<Result> results, Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, markdownTable(results));
    }

    public static void writeChart(List<Result> results, Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        List<String> labels = new ArrayList<>();
        List<Double> medians = new ArrayList<>();
        List<Double> lows = new ArrayList<>();
        for (Comparison c : Comparison.all(results)) {
            Result r = c.reference();
            labels.add(r.scenario() + " " + r.bodySize() + "B vs " + r.implementation());
            medians.add(c.median());
            lows.add(c.lowerBound());
        }
        if (labels.isEmpty()) {
            return;
        }
        CategoryChart chart = new CategoryChartBuilder().width(1200).height(300 + 28 * labels.size())
                .title("Omnibus throughput / reference throughput, per round (1.0 = as fast)").xAxisTitle("").yAxisTitle("ratio").build();
        chart.getStyler().setLegendVisible(true);
        chart.getStyler().setXAxisLabelRotation(60);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setDecimalPattern("0.00");
        chart.getStyler().setChartTitleVisible(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.addSeries("95 % lower bound", labels, lows);
        chart.addSeries("median of rounds", labels, medians);
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
