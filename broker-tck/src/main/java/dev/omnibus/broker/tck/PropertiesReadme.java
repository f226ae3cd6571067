package dev.omnibus.broker.tck;

import dev.omnibus.broker.spi.PropertySet;
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
    public static final String UPDATE_PROPERTY = GeneratedDocs.UPDATE_PROPERTY;

    private PropertiesReadme() {
    }

    /** {@code readme} with the text between the markers replaced by {@code table}. */
    public static String withTable(String readme, String table) {
        return GeneratedDocs.withSection(readme, "properties", table);
    }

    /**
     * Fails unless {@code readme} holds exactly {@code properties}' table between the markers.
     * The failure writes the expected README to {@code target/} and says how to regenerate;
     * with {@value #UPDATE_PROPERTY}{@code =true} the README is rewritten and the check passes.
     */
    public static void assertUpToDate(Path readme, PropertySet properties, Class<?> test) {
        GeneratedDocs.assertUpToDate(readme, "properties", properties.markdownTable(), test);
    }
}
