package dev.omnibus.broker.tck;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Where the kit's report lines ({@code [omnibus-kit] ...}, one per fault and cluster test) are
 * kept besides standard output: appended to {@code target/omnibus-kit/report.txt} of the module
 * under test, or the file named by system property {@value #PROPERTY}. A line that cannot be
 * written is only printed.
 */
final class KitReport {
    static final String PROPERTY = "omnibus.tck.report";

    private KitReport() {
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
