package dev.omnibus.broker.spi;

import dev.omnibus.broker.BrokerOptions;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One backend property, declared once: its name, its type and rule, its default and a one-line
 * meaning. Immutable and thread-safe.
 *
 * <p>{@link #parse(String)} turns a text into a typed value; an unset or empty text is the
 * default. Every rejected value is an {@link IllegalArgumentException} of the form
 * {@code property 'name' must be <rule>, was '<value>'}. The same declaration feeds the
 * unknown-name check ({@link PropertySet#check}), the Markdown table of a module README
 * ({@link PropertySet#markdownTable()}) and {@code omnibus providers --verbose}.
 *
 * @param <T> the parsed type
 */
public final class BackendProperty<T> {
    /** What kind of text a property takes. */
    public enum Kind { BOOLEAN, INTEGER, DURATION, STRING, CHOICE }

    private final String name;
    private final Kind kind;
    private final String rule;
    private final Function<String, T> parser;
    private final T defaultValue;
    private final String defaultText;
    private final String meaning;

    private BackendProperty(String name, Kind kind, String rule, Function<String, T> parser, T defaultValue,
            String defaultText, String meaning) {
        this.name = requireName(name);
        this.kind = kind;
        this.rule = Objects.requireNonNull(rule, "rule must not be null");
        this.parser = parser;
        this.defaultValue = defaultValue;
        this.defaultText = defaultText;
        this.meaning = Objects.requireNonNull(meaning, "meaning must not be null");
    }

    /** {@code true} or {@code false}, in any case. */
    public static BackendProperty<Boolean> ofBoolean(String name, boolean defaultValue, String meaning) {
        return new BackendProperty<>(name, Kind.BOOLEAN, "true or false", v -> {
            if (v.equalsIgnoreCase("true")) {
                return true;
            }
            if (v.equalsIgnoreCase("false")) {
                return false;
            }
            throw invalid(name, "true or false", v);
        }, defaultValue, null, meaning);
    }

    /** A whole number within [{@code min}, {@code max}]. */
    public static BackendProperty<Long> ofLong(String name, long defaultValue, long min, long max, String meaning) {
        if (min > max || defaultValue < min || defaultValue > max) {
            throw new IllegalArgumentException("property '" + name + "': default " + defaultValue + " is outside " + min + " to " + max);
        }
        return new BackendProperty<>(name, Kind.INTEGER, "a whole number from " + min + " to " + max,
                v -> wholeNumber(name, v, min, max), defaultValue, null, meaning);
    }

    /** A whole number within [{@code min}, {@code max}], as an int. */
    public static BackendProperty<Integer> ofInt(String name, int defaultValue, int min, int max, String meaning) {
        BackendProperty<Long> l = ofLong(name, defaultValue, min, max, meaning);
        return new BackendProperty<>(name, Kind.INTEGER, l.rule, v -> l.parser.apply(v).intValue(), defaultValue, null, meaning);
    }

    /**
     * A duration in milliseconds ({@code 2000}) or ISO-8601 ({@code PT2S}); {@code defaultValue}
     * may be null when the default depends on other properties (see {@link #value(BrokerOptions, Object)}).
     */
    public static BackendProperty<Duration> ofDuration(String name, Duration defaultValue, String meaning) {
        return new BackendProperty<>(name, Kind.DURATION, "milliseconds (2000) or an ISO-8601 duration (PT2S)", v -> {
            try {
                return v.chars().allMatch(Character::isDigit) ? Duration.ofMillis(Long.parseLong(v)) : Duration.parse(v);
            } catch (RuntimeException e) {
                throw invalid(name, "milliseconds (2000) or an ISO-8601 duration (PT2S)", v);
            }
        }, defaultValue, null, meaning);
    }

    /** Any text; narrow it with {@link #where}. {@code defaultValue} null means unset by default. */
    public static BackendProperty<String> ofString(String name, String defaultValue, String meaning) {
        return new BackendProperty<>(name, Kind.STRING, "any text", Function.identity(), defaultValue, null, meaning);
    }

    /**
     * One constant of {@code type}, by name in any case, '-' standing for '_' ({@code drop-oldest});
     * shown and documented in lower case.
     */
    public static <E extends Enum<E>> BackendProperty<E> ofChoice(String name, Class<E> type, E defaultValue, String meaning) {
        String allowed = "one of " + Stream.of(type.getEnumConstants()).map(BackendProperty::shown).collect(Collectors.joining(", "));
        return new BackendProperty<>(name, Kind.CHOICE, allowed, v -> {
            String wanted = v.trim().replace('-', '_');
            for (E e : type.getEnumConstants()) {
                if (e.name().equalsIgnoreCase(wanted)) {
                    return e;
                }
            }
            throw invalid(name, allowed, v);
        }, defaultValue, null, meaning);
    }

    /**
     * This property, also requiring {@code test} of every parsed value; {@code requirement} says
     * what it demands, as it appears in the message, e.g. {@code must be positive}.
     */
    public BackendProperty<T> where(Predicate<? super T> test, String requirement) {
        Objects.requireNonNull(test, "test must not be null");
        Objects.requireNonNull(requirement, "requirement must not be null");
        Function<String, T> inner = parser;
        String combined = kind == Kind.STRING && rule.equals("any text") ? requirement : rule + "; " + requirement;
        return new BackendProperty<>(name, kind, combined, v -> {
            T value = inner.apply(v);
            if (!test.test(value)) {
                throw new IllegalArgumentException("property '" + name + "' " + requirement + ", was "
                        + (value instanceof String ? "'" + value + "'" : String.valueOf(value)));
            }
            return value;
        }, defaultValue, defaultText, meaning);
    }

    /** This property with {@code text} (Markdown) shown as its default, e.g. {@code `P7D` with `limits`}. */
    public BackendProperty<T> defaultText(String text) {
        return new BackendProperty<>(name, kind, rule, parser, defaultValue, Objects.requireNonNull(text), meaning);
    }

    public String name() {
        return name;
    }

    public Kind kind() {
        return kind;
    }

    /** What a valid value looks like, e.g. {@code a whole number from 1 to 5} or {@code any text; must be a topic}. */
    public String rule() {
        return rule;
    }

    /** The one-line meaning (Markdown). */
    public String meaning() {
        return meaning;
    }

    /** The default, or null when unset by default or when it depends on other properties. */
    public T defaultValue() {
        return defaultValue;
    }

    /** The default as documented (Markdown): the given text, else the value in backquotes, else {@code none}. */
    public String defaultText() {
        if (defaultText != null) {
            return defaultText;
        }
        return defaultValue == null ? "none" : "`" + shown(defaultValue) + "`";
    }

    /** {@code text} parsed and checked; null or empty is the default. */
    public T parse(String text) {
        return parse(text, defaultValue);
    }

    /** The value in {@code options}' properties, or the default. */
    public T value(BrokerOptions options) {
        return parse(options.properties().get(name), defaultValue);
    }

    /** The value in {@code options}' properties, or {@code defaultValue} (for defaults that depend on other values). */
    public T value(BrokerOptions options, T defaultValue) {
        return parse(options.properties().get(name), defaultValue);
    }

    private T parse(String text, T fallback) {
        return text == null || text.isEmpty() ? fallback : parser.apply(text);
    }

    @Override
    public String toString() {
        return name + " (" + rule + "; default " + defaultText() + ")";
    }

    private static long wholeNumber(String name, String v, long min, long max) {
        long n;
        try {
            n = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("property '" + name + "' must be a whole number, was '" + v + "'");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException("property '" + name + "' must be between " + min + " and " + max + ", was " + n);
        }
        return n;
    }

    private static IllegalArgumentException invalid(String name, String rule, String value) {
        return new IllegalArgumentException("property '" + name + "' must be " + rule + ", was '" + value + "'");
    }

    private static String shown(Object value) {
        return value instanceof Enum<?> e ? e.name().toLowerCase(Locale.ROOT) : String.valueOf(value);
    }

    private static String requireName(String name) {
        Objects.requireNonNull(name, "property name must not be null");
        if (!name.matches("[A-Za-z][A-Za-z0-9_.-]*")) {
            throw new IllegalArgumentException("property name '" + name + "' must be a letter followed by letters, digits, '_', '.' or '-'");
        }
        return name;
    }
}
