package dev.omnibus.broker.kafka;

import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.spi.BackendProperty;
import dev.omnibus.broker.spi.PropertySet;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Kafka backend properties, declared once in {@link #PROPERTIES}, and what the URLs say:
 * bootstrap servers, TLS, and SASL credentials (URL user-info or {@link BrokerOptions#username()}).
 * Validated at {@code create}/{@code init}, so that a typo fails before any I/O.
 */
record KafkaSettings(
        String bootstrapServers,
        boolean tls,
        String username,
        String password,
        String saslMechanism,
        int partitions,
        short replicationFactor,
        String prefix,
        Duration metadataMaxAge,
        Duration sessionTimeout,
        Duration heartbeatInterval,
        Duration linger,
        int maxMessageBytes,
        Duration replyRetention,
        String keyHeader,
        Duration healthProbe,
        ClientMetrics clientMetrics) {

    enum Mechanism { PLAIN, SCRAM_SHA_256, SCRAM_SHA_512 }

    /** Where kafka-clients' own metrics go: JMX MBeans, pushes to the cluster (KIP-714), both or neither. */
    enum ClientMetrics {
        JMX, PUSH, BOTH, NONE;

        boolean jmx() {
            return this == JMX || this == BOTH;
        }

        boolean push() {
            return this == PUSH || this == BOTH;
        }
    }

    static final int DEFAULT_PORT = 9092;
    static final int DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
    private static final String POSITIVE = "must be positive";

    static final BackendProperty<Integer> PARTITIONS = BackendProperty.ofInt("partitions", 3, 1, 10_000,
            "partitions of each topic Omnibus creates; with `1` a topic keeps publish order ([ORDERED_DELIVERY]), with more a queue"
                    + " group shares a topic's work among up to that many members");
    static final BackendProperty<Integer> REPLICATION_FACTOR = BackendProperty.ofInt("replicationFactor", -1, -1, 32,
            "replicas of each topic Omnibus creates").defaultText("`-1` (the cluster's `default.replication.factor`)")
            .where(r -> r != 0, "must be -1 (the cluster's default) or at least 1");
    static final BackendProperty<String> PREFIX = BackendProperty.ofString("prefix", "omnibus",
            "first part of the names of the consumer groups and reply topics Omnibus creates")
            .where(p -> p.matches("[A-Za-z0-9_-]{1,64}"), "must be 1 to 64 letters, digits, '-' or '_'");
    static final BackendProperty<Duration> METADATA_MAX_AGE = BackendProperty.ofDuration("metadataMaxAge", Duration.ofSeconds(5),
            "how soon a wildcard subscription sees a topic created after it (`metadata.max.age.ms`); its messages are not missed")
            .where(KafkaSettings::positive, POSITIVE);
    static final BackendProperty<Duration> SESSION_TIMEOUT = BackendProperty.ofDuration("sessionTimeout", Duration.ofSeconds(10),
            "how long a queue-group member may be silent (a crashed process) before the group gives its partitions to others"
                    + " (`session.timeout.ms`, within the cluster's `group.min/max.session.timeout.ms`)")
            .where(KafkaSettings::positive, POSITIVE);
    static final BackendProperty<Duration> HEARTBEAT_INTERVAL = BackendProperty.ofDuration("heartbeatInterval", Duration.ofSeconds(1),
            "group heartbeats (`heartbeat.interval.ms`): how soon members notice a rebalance")
            .where(KafkaSettings::positive, POSITIVE);
    static final BackendProperty<Duration> LINGER = BackendProperty.ofDuration("linger", Duration.ZERO,
            "producer `linger.ms`: wait this long to batch records; `0` sends at once")
            .where(d -> !d.isNegative(), "must not be negative");
    static final BackendProperty<Integer> MAX_MESSAGE_BYTES = BackendProperty.ofInt("maxMessageBytes", DEFAULT_MAX_MESSAGE_BYTES, 1024,
            Integer.MAX_VALUE, "largest record (body, headers and overhead) the producer sends (`max.request.size`); keep it"
                    + " within the cluster's `message.max.bytes`").defaultText("1 MiB");
    static final BackendProperty<Duration> REPLY_RETENTION = BackendProperty.ofDuration("replyRetention", Duration.ofMinutes(10),
            "`retention.ms` of the node's reply topic, when it is created").where(KafkaSettings::positive, POSITIVE);
    static final BackendProperty<String> KEY_HEADER = BackendProperty.ofString("keyHeader", null,
            "header whose value becomes the record key (one key, one partition: per-key order); without it the key is the"
                    + " message id");
    static final BackendProperty<Duration> HEALTH_PROBE = BackendProperty.ofDuration("healthProbe", Duration.ofSeconds(1),
            "how often the admin client asks the cluster for its nodes (`describeCluster`, answered within `connectTimeout`) to"
                    + " tell `health()`: unanswered is RECONNECTING, answered again is CONNECTED")
            .where(KafkaSettings::positive, POSITIVE);
    static final BackendProperty<Mechanism> SASL_MECHANISM = BackendProperty.ofChoice("saslMechanism", Mechanism.class,
            Mechanism.PLAIN, "SASL mechanism when credentials are given (`plain`, `scram-sha-256`, `scram-sha-512`)");
    static final BackendProperty<ClientMetrics> CLIENT_METRICS = BackendProperty.ofChoice("clientMetrics", ClientMetrics.class,
            ClientMetrics.JMX, "where the producer's, consumers' and admin client's own metrics go: `jmx` (MBeans, kafka-clients'"
                    + " `JmxReporter`), `push` (to a cluster that collects client metrics, KIP-714 `enable.metrics.push`), `both`"
                    + " or `none` (kafka-clients still registers its one `app-info` MBean per client); kafka-clients keeps"
                    + " about 20 metrics per topic a producer sends to or a consumer reads, and `push` holds a copy of each"
                    + " (about 20 KB per topic)");
    static final PropertySet PROPERTIES = PropertySet.of(PARTITIONS, REPLICATION_FACTOR, PREFIX, METADATA_MAX_AGE, SESSION_TIMEOUT,
            HEARTBEAT_INTERVAL, LINGER, MAX_MESSAGE_BYTES, REPLY_RETENTION, KEY_HEADER, SASL_MECHANISM,
            HEALTH_PROBE, CLIENT_METRICS);

    static KafkaSettings from(BrokerOptions o) {
        List<String> servers = new ArrayList<>();
        Boolean tls = null;
        String user = null;
        String password = null;
        for (String url : o.urls()) {
            String scheme = BrokerOptions.schemeOf(url);
            if (!scheme.equals("kafka") && !scheme.equals("kafka+ssl")) {
                throw new IllegalArgumentException("the kafka broker takes kafka:// and kafka+ssl:// URLs, not '" + o.redactedUrls() + "'");
            }
            boolean secure = scheme.equals("kafka+ssl");
            if (tls != null && tls != secure) {
                throw new IllegalArgumentException("mixed kafka:// and kafka+ssl:// URLs in '" + o.redactedUrls()
                        + "'; one cluster has one security protocol");
            }
            tls = secure;
            // kafka://h1:9092,h2:9092 in one URL, or one URL per server
            String rest = url.substring(url.indexOf("://") + 3);
            int at = rest.lastIndexOf('@', firstOf(rest, '/', '?'));
            if (at >= 0) {
                String info = rest.substring(0, at);
                int colon = info.indexOf(':');
                user = decode(colon < 0 ? info : info.substring(0, colon));
                password = colon < 0 ? null : decode(info.substring(colon + 1));
                rest = rest.substring(at + 1);
            }
            String hosts = rest.substring(0, firstOf(rest, '/', '?'));
            for (String h : hosts.split(",")) {
                if (!h.isBlank()) {
                    servers.add(hostPort(h.trim(), o));
                }
            }
        }
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("no bootstrap server in '" + o.redactedUrls() + "'; use kafka://host:9092");
        }
        if (o.username() != null) {
            user = o.username();
            password = o.password();
        }
        PROPERTIES.check(o, KafkaBrokerProvider.NAME);
        String keyHeader = KEY_HEADER.value(o);
        return new KafkaSettings(String.join(",", servers), Boolean.TRUE.equals(tls), user, password,
                SASL_MECHANISM.value(o).name().replace('_', '-'), PARTITIONS.value(o), REPLICATION_FACTOR.value(o).shortValue(),
                PREFIX.value(o), METADATA_MAX_AGE.value(o), SESSION_TIMEOUT.value(o), HEARTBEAT_INTERVAL.value(o), LINGER.value(o),
                MAX_MESSAGE_BYTES.value(o), REPLY_RETENTION.value(o), keyHeader == null || keyHeader.isBlank() ? null : keyHeader,
                HEALTH_PROBE.value(o), CLIENT_METRICS.value(o));
    }

    /** Kafka's {@code security.protocol} for these URLs and credentials. */
    String securityProtocol() {
        return (username != null ? "SASL_" : "") + (tls ? "SSL" : "PLAINTEXT");
    }

    /** The JAAS line for SASL; holds the password: never log it. */
    String jaasConfig() {
        String module = saslMechanism.equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                : "org.apache.kafka.common.security.scram.ScramLoginModule";
        return module + " required username=\"" + escape(username) + "\" password=\"" + escape(password == null ? "" : password) + "\";";
    }

    @Override
    public String toString() {
        // never the password
        return "KafkaSettings{" + bootstrapServers + ", " + securityProtocol() + ", partitions=" + partitions + "}";
    }

    private static String hostPort(String h, BrokerOptions o) {
        try {
            URI u = URI.create("kafka://" + h);
            if (u.getHost() == null) {
                throw new IllegalArgumentException("no host");
            }
            return u.getHost() + ":" + (u.getPort() > 0 ? u.getPort() : DEFAULT_PORT);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad bootstrap server '" + h + "' in '" + o.redactedUrls() + "'; use kafka://host:9092");
        }
    }

    private static int firstOf(String s, char a, char b) {
        int i = s.indexOf(a);
        int j = s.indexOf(b);
        return i < 0 ? (j < 0 ? s.length() : j) : (j < 0 ? i : Math.min(i, j));
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static boolean positive(Duration d) {
        return !d.isNegative() && !d.isZero();
    }

    static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }
}
