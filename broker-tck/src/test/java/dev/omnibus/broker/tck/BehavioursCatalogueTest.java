package dev.omnibus.broker.tck;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@code BEHAVIOURS.md} true: its generated table lists every kit test with its number,
 * capability gate, group and method, read from the kit's own classes; and every kit test carries a
 * number.
 */
class BehavioursCatalogueTest {
    private static final Pattern NUMBERED = Pattern.compile("^(\\d+)\\. (.*)$");
    private static final Pattern GATE = Pattern.compile("\\[([A-Z_]+)\\]\\s*");

    record Row(int number, String group, String nested, String method, String gate, String behaviour) {
    }

    static List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (Class<?> nested : BrokerCompatibilityKit.class.getDeclaredClasses()) {
            if (!nested.isAnnotationPresent(Nested.class)) {
                continue;
            }
            String group = nested.getAnnotation(DisplayName.class).value();
            RequiresCapabilities required = nested.getAnnotation(RequiresCapabilities.class);
            List<String> groupGates = required == null ? List.of()
                    : java.util.Arrays.stream(required.value()).map(Enum::name).collect(java.util.stream.Collectors.toList());
            for (Method m : nested.getSuperclass().getDeclaredMethods()) {
                if (!m.isAnnotationPresent(Test.class)) {
                    continue;
                }
                String name = m.getAnnotation(DisplayName.class).value();
                Matcher numbered = NUMBERED.matcher(name);
                assertThat(numbered.matches()).as("display name of %s#%s starts with its number", nested.getSimpleName(), m.getName())
                        .isTrue();
                String text = numbered.group(2);
                List<String> gates = new ArrayList<>(groupGates);
                Matcher gate = GATE.matcher(text);
                int at = 0;
                while (gate.find(at) && gate.start() == at) {
                    if (!gates.contains(gate.group(1))) {
                        gates.add(gate.group(1));
                    }
                    at = gate.end();
                }
                rows.add(new Row(Integer.parseInt(numbered.group(1)), group, nested.getSimpleName(), m.getName(),
                        gates.isEmpty() ? "" : String.join(", ", gates), text.substring(at)));
            }
        }
        rows.sort(Comparator.comparingInt(Row::number).thenComparing(Row::method));
        return rows;
    }

    static String table(List<Row> rows) {
        StringBuilder b = new StringBuilder("| # | behaviour | gate | group | test |\n|---|---|---|---|---|\n");
        for (Row r : rows) {
            b.append("| ").append(r.number()).append(" | ").append(r.behaviour().replace("|", "\\|")).append(" | ")
                    .append(r.gate().isEmpty() ? "" : "`" + r.gate() + "`").append(" | ").append(r.group()).append(" | `")
                    .append(r.nested()).append('#').append(r.method()).append("` |\n");
        }
        return b.toString();
    }

    @Test
    @DisplayName("every kit test is numbered, and BEHAVIOURS.md lists each with its gate, group and method")
    void catalogueIsTrue() {
        List<Row> rows = rows();
        assertThat(rows).hasSizeGreaterThanOrEqualTo(50);
        GeneratedDocs.assertUpToDate(Path.of("BEHAVIOURS.md"), "kit-tests", table(rows), getClass());
    }

    @Test
    @DisplayName("the selection property picks tests by number, range, group and method")
    void selectionNumbers() {
        assertThat(KitSelection.number("31. [PUBLISH_CONFIRMS] the server restarted twice")).isEqualTo(31);
        assertThat(KitSelection.number("no number")).isEqualTo(-1);
    }
}
