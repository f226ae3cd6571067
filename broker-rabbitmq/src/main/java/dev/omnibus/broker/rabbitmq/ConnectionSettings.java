package dev.omnibus.broker.rabbitmq;

import com.rabbitmq.client.Address;
import com.rabbitmq.client.ConnectionFactory;
import javax.net.ssl.SSLContext;
import com.rabbitmq.client.impl.recovery.TopologyRecoveryFilter;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.spi.BackendProperty;
import dev.omnibus.broker.spi.PropertySet;
import dev.omnibus.broker.support.Redaction;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The RabbitMQ view of {@link BrokerOptions}: backend properties, declared once in
 * {@link #PROPERTIES}, parsed and validated once (every problem, an unknown name included, an
 * IllegalArgumentException naming the property and value), and the amqp-client
 * {@link ConnectionFactory} built from them.
 */
final class ConnectionSettings {
    static final String DEFAULT_EXCHANGE = "omnibus";
    static final int DEFAULT_NODE_PREFETCH = 1024;
    static final Duration DEFAULT_GROUP_QUEUE_EXPIRES = Duration.ofSeconds(60);
    static final int DEFAULT_PUBLISH_CHANNELS = 8;
    /** RabbitMQ's default {@code max_message_size}: 128 MiB. */
    static final long DEFAULT_MAX_MESSAGE_BYTES = 128L * 1024 * 1024;
    static final Duration DEFAULT_RECOVERY_INTERVAL = Duration.ofSeconds(1);
    static final int DEFAULT_HEARTBEAT_SECONDS = 30;

    static final BackendProperty<String> EXCHANGE = BackendProperty.ofString("exchange", DEFAULT_EXCHANGE,
            "the topic exchange; also the prefix of every queue name")
            .where(e -> e.matches("[A-Za-z0-9_.-]{1,127}") && !e.startsWith("amq."), "must be 1 to 127 letters, digits, '-', '_'"
                    + " or '.' and must not start with 'amq.' (reserved by RabbitMQ)");
    static final BackendProperty<Integer> NODE_PREFETCH = BackendProperty.ofInt("nodePrefetch", DEFAULT_NODE_PREFETCH, 1, 65_535,
            "unacked messages RabbitMQ hands the node queue's consumer (flow control of all broadcast subscriptions of a node)");
    static final BackendProperty<Duration> GROUP_QUEUE_EXPIRES = BackendProperty.ofDuration("groupQueueExpires",
            DEFAULT_GROUP_QUEUE_EXPIRES, "how long a non-durable group queue outlives its last member (`x-expires`)")
            .where(d -> d.toMillis() >= 1 && d.toMillis() <= Integer.MAX_VALUE, "must be between 1 ms and 24 days")
            .defaultText("`60000` (ms or ISO-8601)");
    static final BackendProperty<Integer> PUBLISH_CHANNELS = BackendProperty.ofInt("publishChannels", DEFAULT_PUBLISH_CHANNELS,
            1, 1024, "size of the pool of confirm-mode publishing channels (and at most as many plain channels for replies)");
    static final BackendProperty<Long> MAX_MESSAGE_BYTES = BackendProperty.ofLong("maxMessageBytes", DEFAULT_MAX_MESSAGE_BYTES,
            1, Integer.MAX_VALUE, "body size refused before sending; set it to the server's `max_message_size`");
    static final BackendProperty<Duration> RECOVERY_INTERVAL = BackendProperty.ofDuration("recoveryInterval",
            DEFAULT_RECOVERY_INTERVAL, "pause between connection recovery attempts")
            .where(d -> !d.isNegative(), "must not be negative").defaultText("`1000` (ms)");
    static final BackendProperty<Integer> HEARTBEAT = BackendProperty.ofInt("heartbeat", DEFAULT_HEARTBEAT_SECONDS, 0, 3600,
            "AMQP heartbeat").defaultText("`30` (s)");
    static final BackendProperty<Boolean> PERSISTENT = BackendProperty.ofBoolean("persistent", true,
            "publish with delivery mode 2, so durable group queues keep messages over a restart");
    static final BackendProperty<QueueType> QUEUE_TYPE = BackendProperty.ofChoice("queueType", QueueType.class, QueueType.QUORUM,
            "type of the queues of durable groups (`x-queue-type`): `quorum` (replicated over a cluster, survives the loss of a"
                    + " minority of nodes) or `classic`; non-durable group, node and reply queues are always classic");
    static final PropertySet PROPERTIES = PropertySet.of(EXCHANGE, NODE_PREFETCH, GROUP_QUEUE_EXPIRES, PUBLISH_CHANNELS,
            MAX_MESSAGE_BYTES, RECOVERY_INTERVAL, HEARTBEAT, PERSISTENT, QUEUE_TYPE);

    /** The queue types of durable group queues. */
    enum QueueType {
        QUORUM, CLASSIC;

        /** The value of {@code x-queue-type}. */
        String argument() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    final BrokerOptions options;
    final String exchange;
    final int nodePrefetch;
    final Duration groupQueueExpires;
    final int publishChannels;
    final long maxMessageBytes;
    final Duration recoveryInterval;
    final int heartbeatSeconds;
    final boolean persistent;
    final QueueType queueType;
    final List<Address> addresses;

    ConnectionSettings(BrokerOptions o) {
        this.options = o;
        for (String url : o.urls()) {
            String scheme = BrokerOptions.schemeOf(url);
            if (!scheme.equals("amqp") && !scheme.equals("amqps")) {
                throw new IllegalArgumentException("the rabbitmq broker takes amqp:// or amqps:// URLs, not '" + o.redactedUrls() + "'");
            }
        }
        PROPERTIES.check(o, RabbitMqBrokerProvider.NAME);
        exchange = EXCHANGE.value(o);
        nodePrefetch = NODE_PREFETCH.value(o);
        groupQueueExpires = GROUP_QUEUE_EXPIRES.value(o);
        publishChannels = PUBLISH_CHANNELS.value(o);
        maxMessageBytes = MAX_MESSAGE_BYTES.value(o);
        recoveryInterval = RECOVERY_INTERVAL.value(o);
        heartbeatSeconds = HEARTBEAT.value(o);
        persistent = PERSISTENT.value(o);
        queueType = QUEUE_TYPE.value(o);
        addresses = new ArrayList<>();
        for (String url : o.urls()) {
            URI uri = uri(url);
            if (uri.getHost() == null) {
                throw new IllegalArgumentException("RabbitMQ URL '" + Redaction.url(url) + "' has no host; use amqp://host:5672");
            }
            boolean tls = "amqps".equalsIgnoreCase(uri.getScheme());
            addresses.add(new Address(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : tls ? 5671 : 5672));
        }
    }

    /** A factory with credentials, vhost, TLS, timeouts and automatic connection and topology recovery. */
    ConnectionFactory factory(TopologyRecoveryFilter recoveryFilter) {
        ConnectionFactory f = new ConnectionFactory();
        try {
            f.setUri(uri(options.url()));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot set up TLS for " + options.redactedUrls() + ": " + e.getMessage(), e);
        }
        if (options.username() != null) {
            f.setUsername(options.username());
        }
        if (options.password() != null) {
            f.setPassword(options.password());
        }
        if (options.sslContext() != null || options.scheme().equals("amqps")) {
            // amqp-client's amqps default trusts every certificate; verify the server instead: with
            // the given context, else the JVM's default trust store, and check the host name
            try {
                f.useSslProtocol(options.sslContext() != null ? options.sslContext() : SSLContext.getDefault());
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException("cannot set up TLS for " + options.redactedUrls() + ": " + e.getMessage(), e);
            }
            f.enableHostnameVerification();
        }
        int connectMillis = (int) Math.min(Integer.MAX_VALUE, options.connectTimeout().toMillis());
        f.setConnectionTimeout(connectMillis);
        f.setHandshakeTimeout(connectMillis);
        f.setShutdownTimeout((int) Math.min(Integer.MAX_VALUE, options.shutdownTimeout().toMillis()));
        f.setChannelRpcTimeout((int) Math.min(Integer.MAX_VALUE,
                Math.max(options.connectTimeout().toMillis(), options.publishTimeout().toMillis())));
        f.setRequestedHeartbeat(heartbeatSeconds);
        f.setAutomaticRecoveryEnabled(true);
        f.setTopologyRecoveryEnabled(true);
        f.setTopologyRecoveryFilter(recoveryFilter);
        f.setNetworkRecoveryInterval(recoveryInterval.toMillis());
        // amqp-client refuses inbound bodies over 64 MiB by default, below the server's own limit
        f.setMaxInboundMessageBodySize((int) Math.max(maxMessageBytes, 64L * 1024 * 1024));
        return f;
    }

    /** {@code url} without its query string (our properties, which amqp-client would not understand). */
    private static URI uri(String url) {
        int q = url.indexOf('?');
        String base = q >= 0 ? url.substring(0, q) : url;
        try {
            return new URI(base);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + Redaction.url(base) + "' is not a valid RabbitMQ URL: "
                    + Redaction.url(e.getReason()) + "; use amqp://user:password@host:5672/vhost");
        }
    }
}
