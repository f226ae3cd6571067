package dev.omnibus.broker.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omnibus.broker.spi.PropertySet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Keeps the properties table of a README equal to a backend's declarations: the table is
 * {@link PropertySet#markdownTable()}, written between the lines {@value #BEGIN} and {@value #END}.
 * A backend's test calls {@link #assertUpToDate}; with {@code -D}{@value #UPDATE_PROPERTY}{@code =true}
 * it rewrites the README instead of failing.
 */
public final class PropertiesReadme {
    public static final String BEGIN = "<!-- properties:begin -->";
    public static final String END = "<!-- properties:end -->";
    /** System property that makes {@link #assertUpToDate} rewrite the README. */
    public static final String UPDATE_PROPERTY = "omnibus.updateDocs";

    private PropertiesReadme() {
    }

    /** {@code readme} with the text between the markers replaced by {@code table}. */
    public static String withTable(String readme, String table) {
        int begin = readme.indexOf(BEGIN);
        int end = readme.indexOf(END);
        if (begin < 0 || end < begin || readme.indexOf(BEGIN, begin + 1) >= 0) {
            throw new IllegalStateException("the README needs exactly one '" + BEGIN + "' line, followed by an '" + END
                    + "' line, around its properties table");
        }
        return readme.substring(0, begin) + BEGIN + "\n" + table + readme.substring(end);
    }

    /**
     * Fails unless {@code readme} holds exactly {@code properties}' table between the markers.
     * The failure writes the expected README to {@code target/} and says how to regenerate;
     * with {@value #UPDATE_PROPERTY}{@code =true} the README is rewritten and the check passes.
     */
    public static void assertUpToDate(Path readme, PropertySet properties, Class<?> test) {
        try {
            String actual = Files.readString(readme, StandardCharsets.UTF_8);
            String expected = withTable(actual, properties.markdownTable());
            if (expected.equals(actual)) {
                return;
            }
            if (Boolean.getBoolean(UPDATE_PROPERTY)) {
                Files.writeString(readme, expected, StandardCharsets.UTF_8);
                return;
            }
            Path target = Path.of("target", readme.getFileName() + ".expected");
            Files.createDirectories(target.getParent());
            Files.writeString(target, expected, StandardCharsets.UTF_8);
            String module = Path.of("").toAbsolutePath().getFileName().toString();
            assertThat(actual).as("the properties table of %s differs from the declarations; copy %s over it, or run"
                            + " mvn -pl %s -am test -Dtest=%s -Dsurefire.failIfNoSpecifiedTests=false -D%s=true",
                    readme.toAbsolutePath().normalize(), target.toAbsolutePath(), module, test.getSimpleName(), UPDATE_PROPERTY)
                    .isEqualTo(expected);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
