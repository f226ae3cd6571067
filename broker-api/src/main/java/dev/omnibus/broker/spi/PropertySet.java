package dev.omnibus.broker.spi;

import dev.omnibus.broker.BrokerOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The properties of one backend, in declaration order. Immutable. It rejects names it does not
 * declare ({@link #check}), with the valid names and the likely one meant, and renders the
 * declarations as the Markdown table of a module README ({@link #markdownTable()}).
 */
public final class PropertySet {
    private final Map<String, BackendProperty<?>> byName;

    private PropertySet(List<? extends BackendProperty<?>> properties) {
        Map<String, BackendProperty<?>> m = new LinkedHashMap<>();
        for (BackendProperty<?> p : properties) {
            Objects.requireNonNull(p, "property must not be null");
            if (m.put(p.name(), p) != null) {
                throw new IllegalArgumentException("property '" + p.name() + "' is declared twice");
            }
        }
        this.byName = m;
    }

    public static PropertySet of(List<? extends BackendProperty<?>> properties) {
        return new PropertySet(List.copyOf(properties));
    }

    public static PropertySet of(BackendProperty<?>... properties) {
        return of(List.of(properties));
    }

    /** The declarations, in declaration order (unmodifiable). */
    public List<BackendProperty<?>> properties() {
        return List.copyOf(byName.values());
    }

    /** The declared names, sorted. */
    public Set<String> names() {
        return new TreeSet<>(byName.keySet());
    }

    public Optional<BackendProperty<?>> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /**
     * Fails with an IllegalArgumentException at the first property of {@code options} this set does
     * not declare: what (the name), where (the {@code backend} broker at its redacted URLs) and how
     * to fix it (the closest declared name, and every valid one). Values are not shown: they may be secrets.
     */
    public void check(BrokerOptions options, String backend) {
        for (String given : options.properties().keySet()) {
            if (!byName.containsKey(given)) {
                String suggestion = closest(given);
                throw new IllegalArgumentException("unknown property '" + given + "' for the " + backend + " broker at "
                        + options.redactedUrls() + (suggestion == null ? "" : "; did you mean '" + suggestion + "'?")
                        + "; valid names: " + String.join(", ", names()));
            }
        }
    }

    /** The declared name {@code given} most likely misspells, or null when none is close. */
    String closest(String given) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String name : byName.keySet()) {
            int d = distance(given.toLowerCase(Locale.ROOT), name.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = name;
                bestDistance = d;
            }
        }
        return best != null && bestDistance <= Math.max(1, Math.min(3, best.length() / 3)) ? best : null;
    }

    /** Levenshtein distance. */
    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.length()];
    }

    /** The table {@code | property | default | meaning |}, one row per declaration in order, each line ending in '\n'. */
    public String markdownTable() {
        List<String> lines = new ArrayList<>();
        lines.add("| property | default | meaning |");
        lines.add("|---|---|---|");
        for (BackendProperty<?> p : byName.values()) {
            lines.add("| `" + p.name() + "` | " + cell(p.defaultText()) + " | " + cell(p.meaning()) + " |");
        }
        return String.join("\n", lines) + "\n";
    }

    private static String cell(String text) {
        return text.replace("|", "\\|").replace('\n', ' ');
    }

    @Override
    public String toString() {
        return "PropertySet" + byName.keySet();
    }
}
