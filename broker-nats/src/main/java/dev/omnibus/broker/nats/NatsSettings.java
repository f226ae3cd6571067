package dev.omnibus.broker.nats;

import dev.omnibus.broker.BrokerOptions;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import java.time.Duration;
import java.util.Locale;

/**
 * The NATS backend properties, read from {@link BrokerOptions#properties()} (URL query parameters
 * or explicit properties) and validated at once, so that a typo fails at {@code create}/{@code init}
 * rather than at the first publish.
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

    static NatsSettings from(BrokerOptions o) {
        for (String url : o.urls()) {
            String scheme = BrokerOptions.schemeOf(url);
            if (!scheme.equals("nats") && !scheme.equals("tls")) {
                throw new IllegalArgumentException("the nats broker takes nats:// and tls:// URLs, not '" + o.redactedUrls() + "'");
            }
        }
        String stream = o.property("stream", DEFAULT_STREAM);
        if (!stream.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new IllegalArgumentException("property 'stream' must be 1 to 64 letters, digits, '-' or '_', was '" + stream + "'");
        }
        String prefix = o.property("requestPrefix", DEFAULT_REQUEST_PREFIX);
        dev.omnibus.broker.Topics.validateTopic(prefix);
        Duration ackWait = positive("ackWait", o.durationProperty("ackWait", DEFAULT_ACK_WAIT));
        Duration inactive = positive("inactiveThreshold", o.durationProperty("inactiveThreshold", DEFAULT_INACTIVE_THRESHOLD));
        RetentionPolicy retention = choice("retention", o.property("retention", "limits"), RetentionPolicy.class);
        if (retention == RetentionPolicy.WorkQueue) {
            throw new IllegalArgumentException("property 'retention' must be limits or interest; workqueue would stop broadcast subscriptions from each getting a copy");
        }
        // interest retention removes what every consumer acked, so only limits needs an age to stay bounded
        Duration maxAge = o.durationProperty("maxAge", retention == RetentionPolicy.Limits ? DEFAULT_LIMITS_MAX_AGE : Duration.ZERO);
        if (maxAge.isNegative()) {
            throw new IllegalArgumentException("property 'maxAge' must not be negative (0 means no age limit), was " + maxAge);
        }
        return new NatsSettings(
                o.booleanProperty("jetstream", false),
                stream,
                choice("storage", o.property("storage", "file"), StorageType.class),
                retention,
                maxAge,
                (int) o.longProperty("replicas", 1, 1, 5),
                ackWait,
                inactive,
                prefix,
                (int) o.longProperty("maxReconnects", -1, -1, Integer.MAX_VALUE),
                positive("reconnectWait", o.durationProperty("reconnectWait", DEFAULT_RECONNECT_WAIT)),
                o.longProperty("reconnectBufferSize", DEFAULT_RECONNECT_BUFFER, 0, Long.MAX_VALUE));
    }

    private static Duration positive(String name, Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("property '" + name + "' must be positive, was " + d);
        }
        return d;
    }

    private static <E extends Enum<E>> E choice(String name, String value, Class<E> type) {
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(value)) {
                return e;
            }
        }
        StringBuilder allowed = new StringBuilder();
        for (E e : type.getEnumConstants()) {
            allowed.append(allowed.length() == 0 ? "" : ", ").append(e.name().toLowerCase(Locale.ROOT));
        }
        throw new IllegalArgumentException("property '" + name + "' must be one of " + allowed + ", was '" + value + "'");
    }
}
