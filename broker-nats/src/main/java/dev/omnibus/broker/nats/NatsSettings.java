package dev.omnibus.broker.nats;

import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Topics;
import dev.omnibus.broker.spi.BackendProperty;
import dev.omnibus.broker.spi.PropertySet;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import java.time.Duration;

/**
 * The NATS backend properties, declared once in {@link #PROPERTIES}, read from
 * {@link BrokerOptions#properties()} (URL query parameters or explicit properties) and validated
 * at once, so that a typo or an unknown name fails at {@code create}/{@code init} rather than at
 * the first publish.
 */
record NatsSettings(
        boolean jetStream,
        String stream,
        StorageType storage,
        RetentionPolicy retention,
        Duration maxAge,
        int replicas,
        Duration ackWait,
        Duration inactiveThreshold,
        String requestPrefix,
        int maxReconnects,
        Duration reconnectWait,
        long reconnectBufferSize) {

    static final String DEFAULT_STREAM = "omnibus";
    static final Duration DEFAULT_ACK_WAIT = Duration.ofSeconds(30);
    static final Duration DEFAULT_INACTIVE_THRESHOLD = Duration.ofMinutes(5);
    static final String DEFAULT_REQUEST_PREFIX = "_omnibus.rpc";
    static final Duration DEFAULT_RECONNECT_WAIT = Duration.ofSeconds(2);
    static final long DEFAULT_RECONNECT_BUFFER = 8L * 1024 * 1024;
    /** How long a {@code limits} stream keeps a message unless {@code maxAge} says otherwise: Kafka's default week. */
    static final Duration DEFAULT_LIMITS_MAX_AGE = Duration.ofDays(7);

    private static final String POSITIVE = "must be positive";

    static final BackendProperty<Boolean> JETSTREAM = BackendProperty.ofBoolean("jetstream", false,
            "JetStream mode; fixed for the life of a broker instance");
    /** Read by {@link NatsBroker} when it connects. */
    static final BackendProperty<String> CREDENTIALS = BackendProperty.ofString(NatsBroker.CREDENTIALS_PROPERTY, null,
            "path of a NATS `.creds` file (JWT and NKey seed, as `nsc` writes it) for decentralized auth; checked to be readable at connect");
    static final BackendProperty<String> STREAM = BackendProperty.ofString("stream", DEFAULT_STREAM,
            "the one stream JetStream mode stores topics in")
            .where(v -> v.matches("[A-Za-z0-9_-]{1,64}"), "must be 1 to 64 letters, digits, '-' or '_'");
    static final BackendProperty<StorageType> STORAGE = BackendProperty.ofChoice("storage", StorageType.class, StorageType.File,
            "`file` or `memory`, when the stream is created");
    static final BackendProperty<RetentionPolicy> RETENTION = BackendProperty.ofChoice("retention", RetentionPolicy.class,
            RetentionPolicy.Limits, "`limits` (a message is kept for `maxAge`, acked or not) or `interest` (kept until every"
                    + " consumer acked it; see below), when the stream is created")
            .where(r -> r != RetentionPolicy.WorkQueue,
                    "must be limits or interest; workqueue would stop broadcast subscriptions from each getting a copy");
    static final BackendProperty<Duration> MAX_AGE = BackendProperty.ofDuration("maxAge", null,
            "stream max age (`PT24H` or milliseconds; `0` = no age limit), when the stream is created")
            .where(d -> !d.isNegative(), "must not be negative (0 means no age limit)")
            .defaultText("`P7D` with `limits`, unlimited with `interest`");
    static final BackendProperty<Integer> REPLICAS = BackendProperty.ofInt("replicas", 1, 1, 5,
            "stream replicas (1–5), when the stream is created");
    static final BackendProperty<Duration> ACK_WAIT = BackendProperty.ofDuration("ackWait", DEFAULT_ACK_WAIT,
            "how long a delivery may stay unacked before JetStream redelivers it (e.g. after a crash)")
            .where(NatsSettings::positive, POSITIVE);
    static final BackendProperty<Duration> INACTIVE_THRESHOLD = BackendProperty.ofDuration("inactiveThreshold",
            DEFAULT_INACTIVE_THRESHOLD, "after how long without a member the server deletes a non-durable consumer")
            .where(NatsSettings::positive, POSITIVE);
    static final BackendProperty<String> REQUEST_PREFIX = BackendProperty.ofString("requestPrefix", DEFAULT_REQUEST_PREFIX,
            "JetStream mode: subject prefix of request traffic")
            .where(NatsSettings::isTopic, "must be a topic (dot-separated tokens, no wildcards or whitespace)");
    static final BackendProperty<Integer> MAX_RECONNECTS = BackendProperty.ofInt("maxReconnects", -1, -1, Integer.MAX_VALUE,
            "reconnect attempts after a lost connection").defaultText("`-1` (forever)");
    static final BackendProperty<Duration> RECONNECT_WAIT = BackendProperty.ofDuration("reconnectWait", DEFAULT_RECONNECT_WAIT,
            "wait between reconnect attempts to one server").where(NatsSettings::positive, POSITIVE);
    static final BackendProperty<Long> RECONNECT_BUFFER_SIZE = BackendProperty.ofLong("reconnectBufferSize",
            DEFAULT_RECONNECT_BUFFER, 0, Long.MAX_VALUE, "bytes buffered while reconnecting").defaultText("8 MiB");
    static final PropertySet PROPERTIES = PropertySet.of(JETSTREAM, CREDENTIALS, STREAM, STORAGE, RETENTION, MAX_AGE, REPLICAS,
            ACK_WAIT, INACTIVE_THRESHOLD, REQUEST_PREFIX, MAX_RECONNECTS, RECONNECT_WAIT, RECONNECT_BUFFER_SIZE);

    static NatsSettings from(BrokerOptions o) {
        for (String url : o.urls()) {
            String scheme = BrokerOptions.schemeOf(url);
            if (!scheme.equals("nats") && !scheme.equals("tls")) {
                throw new IllegalArgumentException("the nats broker takes nats:// and tls:// URLs, not '" + o.redactedUrls() + "'");
            }
        }
        PROPERTIES.check(o, NatsBrokerProvider.NAME);
        RetentionPolicy retention = RETENTION.value(o);
        // interest retention removes what every consumer acked, so only limits needs an age to stay bounded
        Duration maxAge = MAX_AGE.value(o, retention == RetentionPolicy.Limits ? DEFAULT_LIMITS_MAX_AGE : Duration.ZERO);
        return new NatsSettings(JETSTREAM.value(o), STREAM.value(o), STORAGE.value(o), retention, maxAge, REPLICAS.value(o),
                ACK_WAIT.value(o), INACTIVE_THRESHOLD.value(o), REQUEST_PREFIX.value(o), MAX_RECONNECTS.value(o),
                RECONNECT_WAIT.value(o), RECONNECT_BUFFER_SIZE.value(o));
    }

    private static boolean positive(Duration d) {
        return !d.isNegative() && !d.isZero();
    }

    private static boolean isTopic(String prefix) {
        try {
            Topics.validateTopic(prefix);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
