package dev.omnibus.broker.tck;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Keeps a generated section of a Markdown file equal to what the code says: the section is the
 * text between the lines {@code <!-- NAME:begin -->} and {@code <!-- NAME:end -->}. A test calls
 * {@link #assertUpToDate}; with {@code -D}{@value #UPDATE_PROPERTY}{@code =true} it rewrites the file
 * instead of failing. Used for the backends' properties tables and the kit's catalogue.
 */
public final class GeneratedDocs {
    /** System property that makes {@link #assertUpToDate} rewrite the file. */
    public static final String UPDATE_PROPERTY = "omnibus.updateDocs";

    private GeneratedDocs() {
    }

    /** The begin marker line of section {@code name}. */
    public static String begin(String name) {
        return "<!-- " + name + ":begin -->";
    }

    /** The end marker line of section {@code name}. */
    public static String end(String name) {
        return "<!-- " + name + ":end -->";
    }

    /** {@code text} with section {@code name} replaced by {@code content} (which ends with a newline). */
    public static String withSection(String text, String name, String content) {
        String begin = begin(name);
        String end = end(name);
        int b = text.indexOf(begin);
        int e = text.indexOf(end);
        if (b < 0 || e < b || text.indexOf(begin, b + 1) >= 0) {
            throw new IllegalStateException("the file needs exactly one '" + begin + "' line, followed by an '" + end
                    + "' line, around its generated " + name + " section");
        }
        return text.substring(0, b) + begin + "\n" + content + text.substring(e);
    }

    /**
     * Fails unless {@code file} holds exactly {@code content} in section {@code name}. The failure
     * writes the expected file to {@code target/} and says how to regenerate; with
     * {@value #UPDATE_PROPERTY}{@code =true} the file is rewritten and the check passes.
     */
    public static void assertUpToDate(Path file, String name, String content, Class<?> test) {
        try {
            String actual = Files.readString(file, StandardCharsets.UTF_8);
            String expected = withSection(actual, name, content);
            if (expected.equals(actual)) {
                return;
            }
            if (Boolean.getBoolean(UPDATE_PROPERTY)) {
                Files.writeString(file, expected, StandardCharsets.UTF_8);
                return;
            }
            Path target = Path.of("target", file.getFileName() + ".expected");
            Files.createDirectories(target.getParent());
            Files.writeString(target, expected, StandardCharsets.UTF_8);
            String module = Path.of("").toAbsolutePath().getFileName().toString();
            assertThat(actual).as("the %s section of %s differs from the code; copy %s over it, or run"
                            + " mvn -pl %s -am test -Dtest=%s -Dsurefire.failIfNoSpecifiedTests=false -D%s=true",
                    name, file.toAbsolutePath().normalize(), target.toAbsolutePath(), module, test.getSimpleName(), UPDATE_PROPERTY)
                    .isEqualTo(expected);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
