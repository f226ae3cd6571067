package dev.omnibus.broker.tck;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the kit's report lines ({@code [omnibus-kit] ...}, one per fault and cluster test) are
 * kept besides standard output: appended to {@code target/omnibus-kit/report.txt} of the module
 * under test, or the file named by system property {@value #PROPERTY}. A line that cannot be
 * written is only printed. Backend-specific fault tests print theirs with {@link #tally}.
 */
public final class KitReport {
    static final String PROPERTY = "omnibus.tck.report";

    private KitReport() {
    }

    /**
     * Prints, keeps and returns the one-line tally of a fault or cluster test:
     * {@code [omnibus-kit] <label> | <test> | sent n, received n, duplicated n, lost n, <extra>}.
     */
    public static String tally(String label, String test, int sent, List<String> sentIds, List<String> received, String extra) {
        Map<String, Integer> counts = new HashMap<>();
        received.forEach(id -> counts.merge(id, 1, Integer::sum));
        long lost = sentIds.stream().filter(id -> !counts.containsKey(id)).count();
        long duplicated = counts.values().stream().filter(c -> c > 1).mapToLong(c -> c - 1).sum();
        String line = String.format("[omnibus-kit] %s | %s | sent %d, received %d, duplicated %d, lost %d%s",
                label, test, sent, received.size(), duplicated, lost, extra == null || extra.isEmpty() ? "" : ", " + extra);
        System.out.println(line);
        append(line);
        return line;
    }

    static synchronized void append(String line) {
        Path file = Path.of(System.getProperty(PROPERTY, "target/omnibus-kit/report.txt"));
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            Files.writeString(file, line + System.lineSeparator(), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException | RuntimeException e) {
            System.err.println("[omnibus-kit] could not write the report line to " + file + ": " + e);
        }
    }
}
