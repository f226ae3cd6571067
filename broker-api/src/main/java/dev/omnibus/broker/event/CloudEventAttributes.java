package dev.omnibus.broker.event;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The context attributes of a CloudEvents 1.0 event: immutable and valid by construction.
 *
 * <p>An instance always has the required {@code id}, {@code source}, {@code type} and
 * {@code specversion} ({@value #SPEC_VERSION}, the only version supported); {@code time},
 * {@code subject}, {@code datacontenttype} and {@code dataschema} are optional. Extension
 * attributes are kept in their canonical string form (the CloudEvents type system gives every
 * attribute type one), so an integer or boolean extension from a structured event reads as
 * {@code "42"} or {@code "true"}.
 *
 * <p>{@link Builder#build()} throws {@link InvalidCloudEventException} naming the rule that is
 * broken: a required attribute missing or empty, a specversion other than {@value #SPEC_VERSION},
 * an attribute name that is not lower-case ASCII letters and digits (or that names a core
 * attribute as an extension), a {@code source} that is not a URI-reference, a {@code dataschema}
 * that is not an absolute URI, or a value with a control character. Names longer than the 20
 * characters the specification recommends are accepted, since the rule is a SHOULD.
 */
public final class CloudEventAttributes {
    /** The CloudEvents version this type speaks. */
    public static final String SPEC_VERSION = "1.0";

    /** The core attribute names, in the order they are written. */
    static final Set<String> CORE = Set.of("specversion", "id", "source", "type", "datacontenttype", "dataschema",
            "subject", "time");

    /** RFC 3339 for output: always seconds, {@code Z} for UTC. */
    static final DateTimeFormatter RFC_3339 = DateTimeFormatter.ISO_OFFSET_DATE_TIME;
    private static final DateTimeFormatter RFC_3339_PARSER = new DateTimeFormatterBuilder()
            .parseCaseInsensitive().append(DateTimeFormatter.ISO_OFFSET_DATE_TIME).toFormatter();

    private final String id;
    private final URI source;
    private final String type;
    private final OffsetDateTime time;
    private final String subject;
    private final String dataContentType;
    private final URI dataSchema;
    private final Map<String, String> extensions;

    private CloudEventAttributes(Builder b, URI source, URI dataSchema, OffsetDateTime time) {
        this.id = b.id;
        this.source = source;
        this.type = b.type;
        this.time = time;
        this.subject = b.subject;
        this.dataContentType = b.dataContentType;
        this.dataSchema = dataSchema;
        this.extensions = Collections.unmodifiableMap(new TreeMap<>(b.extensions));
    }

    /** A builder with {@code specversion} {@value #SPEC_VERSION} and nothing else set. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these attributes, to derive a variant. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.id = id;
        b.source = source.toString();
        b.type = type;
        b.time = time;
        b.subject = subject;
        b.dataContentType = dataContentType;
        b.dataSchema = dataSchema == null ? null : dataSchema.toString();
        b.extensions.putAll(extensions);
        return b;
    }

    /** Identifies the event; unique per {@link #source()}. */
    public String id() {
        return id;
    }

    /** The context in which the event happened, a URI-reference. */
    public URI source() {
        return source;
    }

    /** The kind of event, e.g. {@code com.example.order.created}. */
    public String type() {
        return type;
    }

    /** Always {@value #SPEC_VERSION}. */
    public String specVersion() {
        return SPEC_VERSION;
    }

    /** When the event happened. */
    public Optional<OffsetDateTime> time() {
        return Optional.ofNullable(time);
    }

    /** The subject of the event within its source. */
    public Optional<String> subject() {
        return Optional.ofNullable(subject);
    }

    /** The media type of the event's data, e.g. {@code application/json}. */
    public Optional<String> dataContentType() {
        return Optional.ofNullable(dataContentType);
    }

    /** The schema the data adheres to, an absolute URI. */
    public Optional<URI> dataSchema() {
        return Optional.ofNullable(dataSchema);
    }

    /** Extension attributes by name, sorted, unmodifiable, values in canonical string form. */
    public Map<String, String> extensions() {
        return extensions;
    }

    /** The extension attribute {@code name}. */
    public Optional<String> extension(String name) {
        return Optional.ofNullable(extensions.get(name));
    }

    /**
     * Every attribute that is set, core ones first, by name and in canonical string form
     * ({@code time} as RFC 3339): what travels, one header each, in binary content mode.
     */
    public Map<String, String> asMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("specversion", SPEC_VERSION);
        m.put("id", id);
        m.put("source", source.toString());
        m.put("type", type);
        putIfSet(m, "datacontenttype", dataContentType);
        putIfSet(m, "dataschema", dataSchema == null ? null : dataSchema.toString());
        putIfSet(m, "subject", subject);
        putIfSet(m, "time", time == null ? null : RFC_3339.format(time));
        m.putAll(extensions);
        return Collections.unmodifiableMap(m);
    }

    private static void putIfSet(Map<String, String> m, String name, String value) {
        if (value != null) {
            m.put(name, value);
        }
    }

    /**
     * Whether {@code name} is a valid attribute name: one or more lower-case ASCII letters or
     * digits.
     */
    public static boolean isValidName(String name) {
        if (name == null || name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CloudEventAttributes a && asMap().equals(a.asMap());
    }

    @Override
    public int hashCode() {
        return asMap().hashCode();
    }

    @Override
    public String toString() {
        return "CloudEventAttributes" + asMap();
    }

    /** Builds {@link CloudEventAttributes}; not thread-safe. Everything is checked in {@link #build()}. */
    public static final class Builder {
        private String specVersion = SPEC_VERSION;
        private String id;
        private String source;
        private String type;
        private OffsetDateTime time;
        private String timeText;
        private String subject;
        private String dataContentType;
        private String dataSchema;
        private final Map<String, String> extensions = new LinkedHashMap<>();

        private Builder() {
        }

        /** Must be {@value #SPEC_VERSION}; the builder starts with it. */
        public Builder specVersion(String specVersion) {
            this.specVersion = specVersion;
            return this;
        }

        public Builder id(String id) {
            this.id = id;
            return this;
        }

        /** A URI-reference, e.g. {@code /orders} or {@code urn:example:shop}. */
        public Builder source(String source) {
            this.source = source;
            return this;
        }

        public Builder source(URI source) {
            this.source = source == null ? null : source.toString();
            return this;
        }

        public Builder type(String type) {
            this.type = type;
            return this;
        }

        public Builder time(OffsetDateTime time) {
            this.time = time;
            this.timeText = null;
            return this;
        }

        public Builder subject(String subject) {
            this.subject = subject;
            return this;
        }

        public Builder dataContentType(String dataContentType) {
            this.dataContentType = dataContentType;
            return this;
        }

        /** An absolute URI. */
        public Builder dataSchema(String dataSchema) {
            this.dataSchema = dataSchema;
            return this;
        }

        public Builder dataSchema(URI dataSchema) {
            this.dataSchema = dataSchema == null ? null : dataSchema.toString();
            return this;
        }

        /** Sets extension {@code name} (null removes it); the name is checked in {@link #build()}. */
        public Builder extension(String name, String value) {
            Objects.requireNonNull(name, "extension name must not be null");
            if (value == null) {
                extensions.remove(name);
            } else {
                extensions.put(name, value);
            }
            return this;
        }

        /**
         * Sets the attribute {@code name} from its canonical string form: a core attribute by its
         * name ({@code time} parsed as RFC 3339 in {@link #build()}), anything else as an extension.
         */
        public Builder attribute(String name, String value) {
            Objects.requireNonNull(name, "attribute name must not be null");
            switch (name) {
                case "specversion" -> specVersion = value;
                case "id" -> id = value;
                case "source" -> source = value;
                case "type" -> type = value;
                case "time" -> {
                    time = null;
                    timeText = value;
                }
                case "subject" -> subject = value;
                case "datacontenttype" -> dataContentType = value;
                case "dataschema" -> dataSchema = value;
                default -> extension(name, value);
            }
            return this;
        }

        /**
         * The attributes.
         *
         * @throws InvalidCloudEventException if a rule of CloudEvents 1.0 is broken (see the class
         *     comment); the message names the attribute and the rule
         */
        public CloudEventAttributes build() {
            if (specVersion == null || specVersion.isEmpty()) {
                throw new InvalidCloudEventException("required attribute 'specversion' is missing");
            }
            if (!SPEC_VERSION.equals(specVersion)) {
                throw new InvalidCloudEventException("specversion must be '" + SPEC_VERSION + "', got '" + specVersion
                        + "'; only CloudEvents " + SPEC_VERSION + " is supported");
            }
            required("id", id);
            required("source", source);
            required("type", type);
            optional("subject", subject);
            optional("datacontenttype", dataContentType);
            if (dataContentType != null && dataContentType.indexOf('/') <= 0) {
                throw new InvalidCloudEventException("datacontenttype '" + dataContentType
                        + "' is not a media type such as 'application/json' (RFC 2046)");
            }
            URI sourceUri = uri("source", source, false);
            optional("dataschema", dataSchema);
            URI schemaUri = dataSchema == null ? null : uri("dataschema", dataSchema, true);
            OffsetDateTime parsedTime = time;
            if (timeText != null) {
                optional("time", timeText);
                try {
                    parsedTime = OffsetDateTime.parse(timeText, RFC_3339_PARSER);
                } catch (DateTimeParseException e) {
                    throw new InvalidCloudEventException("time '" + timeText
                            + "' is not an RFC 3339 timestamp such as '2026-04-05T17:31:00Z'", e);
                }
            }
            for (Map.Entry<String, String> e : extensions.entrySet()) {
                String name = e.getKey();
                if (!isValidName(name)) {
                    throw new InvalidCloudEventException("attribute name '" + name
                            + "' is invalid: CloudEvents attribute names are lower-case ASCII letters and digits (a-z, 0-9)");
                }
                if (CORE.contains(name) || name.equals("data")) {
                    throw new InvalidCloudEventException("'" + name
                            + "' is a core attribute of CloudEvents (or the data) and cannot be an extension");
                }
                noControlCharacters(name, e.getValue());
            }
            return new CloudEventAttributes(this, sourceUri, schemaUri, parsedTime);
        }

        private static void required(String name, String value) {
            if (value == null || value.isEmpty()) {
                throw new InvalidCloudEventException("required attribute '" + name + "' is "
                        + (value == null ? "missing" : "empty"));
            }
            noControlCharacters(name, value);
        }

        private static void optional(String name, String value) {
            if (value != null) {
                if (value.isEmpty()) {
                    throw new InvalidCloudEventException("attribute '" + name + "' must not be empty when present");
                }
                noControlCharacters(name, value);
            }
        }

        private static void noControlCharacters(String name, String value) {
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
                    throw new InvalidCloudEventException("attribute '" + name + "' contains control character U+"
                            + String.format("%04X", (int) c) + " at index " + i);
                }
            }
        }

        private static URI uri(String name, String value, boolean absolute) {
            URI u;
            try {
                u = new URI(value);
            } catch (URISyntaxException e) {
                throw new InvalidCloudEventException(name + " '" + value + "' is not a URI"
                        + (absolute ? "" : "-reference") + ": " + e.getReason(), e);
            }
            if (absolute && !u.isAbsolute()) {
                throw new InvalidCloudEventException(name + " '" + value + "' must be an absolute URI (with a scheme)");
            }
            return u;
        }
    }
}
