package dev.omnibus.broker.rabbitmq;

import com.rabbitmq.client.Address;
import com.rabbitmq.client.ConnectionFactory;
import javax.net.ssl.SSLContext;
import com.rabbitmq.client.impl.recovery.TopologyRecoveryFilter;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.support.Redaction;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The RabbitMQ view of {@link BrokerOptions}: backend properties parsed and validated once (every
 * problem an IllegalArgumentException naming the property and value), and the amqp-client
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

    final BrokerOptions options;
    final String exchange;
    final int nodePrefetch;
    final Duration groupQueueExpires;
    final int publishChannels;
    final long maxMessageBytes;
    final Duration recoveryInterval;
    final int heartbeatSeconds;
    final boolean persistent;
    final List<Address> addresses;

    ConnectionSettings(BrokerOptions o) {
        this.options = o;
        String scheme = o.scheme();
        if (!scheme.equals("amqp") && !scheme.equals("amqps")) {
            throw new IllegalArgumentException("the rabbitmq broker takes amqp:// or amqps:// URLs, not '" + o.redactedUrls() + "'");
        }
        exchange = o.property("exchange", DEFAULT_EXCHANGE);
        if (!exchange.matches("[A-Za-z0-9_.-]{1,127}") || exchange.startsWith("amq.")) {
            throw new IllegalArgumentException("property 'exchange' must be 1 to 127 letters, digits, '-', '_' or '.' and must not start"
                    + " with 'amq.' (reserved by RabbitMQ), was '" + exchange + "'");
        }
        nodePrefetch = (int) o.longProperty("nodePrefetch", DEFAULT_NODE_PREFETCH, 1, 65_535);
        groupQueueExpires = o.durationProperty("groupQueueExpires", DEFAULT_GROUP_QUEUE_EXPIRES);
        if (groupQueueExpires.toMillis() < 1 || groupQueueExpires.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("property 'groupQueueExpires' must be between 1 ms and 24 days, was " + groupQueueExpires);
        }
        publishChannels = (int) o.longProperty("publishChannels", DEFAULT_PUBLISH_CHANNELS, 1, 1024);
        maxMessageBytes = o.longProperty("maxMessageBytes", DEFAULT_MAX_MESSAGE_BYTES, 1, Integer.MAX_VALUE);
        recoveryInterval = o.durationProperty("recoveryInterval", DEFAULT_RECOVERY_INTERVAL);
        heartbeatSeconds = (int) o.longProperty("heartbeat", DEFAULT_HEARTBEAT_SECONDS, 0, 3600);
        persistent = o.booleanProperty("persistent", true);
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
