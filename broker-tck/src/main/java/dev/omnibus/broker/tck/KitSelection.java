package dev.omnibus.broker.tck;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs only the kit tests named by system property {@value #PROPERTY} (or environment variable
 * {@code OMNIBUS_TCK_ONLY}): a comma-separated list of behaviour numbers ({@code 31}), ranges
 * ({@code 36-38}), group names ({@code Faults}, {@code "Queue groups"}, or a group's tag such as
 * {@code faults}) and test method names ({@code serverRestartedTwice}), case-insensitive. Unset,
 * everything runs. The others are reported as skipped with the selection named, so a backend author
 * can iterate on one behaviour:
 *
 * <pre>{@code mvn test -Dtest=MyBrokerCompatibilityTest -Domnibus.tck.only=31}</pre>
 */
public final class KitSelection implements ExecutionCondition {
    /** The system property that selects kit tests. */
    public static final String PROPERTY = "omnibus.tck.only";

    private static final Pattern NUMBER = Pattern.compile("^(\\d+)\\.");
    private static final Pattern RANGE = Pattern.compile("(\\d+)\\s*-\\s*(\\d+)");

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        String only = selection();
        if (only == null || context.getTestMethod().isEmpty()) {
            return ConditionEvaluationResult.enabled("no kit selection");
        }
        List<String> wanted = Arrays.stream(only.split(",")).map(String::trim).filter(w -> !w.isEmpty())
                .map(w -> w.toLowerCase(Locale.ROOT)).collect(Collectors.toList());
        int number = number(context.getDisplayName());
        String method = context.getTestMethod().get().getName().toLowerCase(Locale.ROOT);
        Optional<ExtensionContext> parent = context.getParent();
        String groupClass = context.getTestClass().map(c -> c.getSimpleName().toLowerCase(Locale.ROOT)).orElse("");
        String groupName = parent.map(p -> p.getDisplayName().toLowerCase(Locale.ROOT)).orElse("");
        for (String w : wanted) {
            Matcher range = RANGE.matcher(w);
            boolean hit = range.matches() ? number >= Integer.parseInt(range.group(1)) && number <= Integer.parseInt(range.group(2))
                    : w.equals(Integer.toString(number)) || w.equals(method) || w.equals(groupClass) || w.equals(groupName)
                            || context.getTags().stream().anyMatch(t -> t.equalsIgnoreCase(w));
            if (hit) {
                return ConditionEvaluationResult.enabled("selected by " + PROPERTY + "=" + only);
            }
        }
        return ConditionEvaluationResult.disabled("not selected by " + PROPERTY + "=" + only);
    }

    /** The behaviour number a kit test's display name starts with ({@code "31. ..."}), or -1. */
    static int number(String displayName) {
        Matcher m = NUMBER.matcher(displayName);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    private static String selection() {
        String s = System.getProperty(PROPERTY);
        if (s == null || s.isBlank()) {
            s = System.getenv("OMNIBUS_TCK_ONLY");
        }
        return s == null || s.isBlank() ? null : s;
    }
}
