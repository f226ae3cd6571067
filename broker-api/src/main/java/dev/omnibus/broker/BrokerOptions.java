package dev.omnibus.broker;

import dev.omnibus.broker.spi.BackendProperty;
import dev.omnibus.broker.support.Redaction;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import javax.net.ssl.SSLContext;

/**
 * How a broker connects. Immutable; build with {@link #builder()}, derive with
 * {@link #toBuilder()}. Every default is a named constant; {@link Builder#build()} validates
 * and names the offending value. {@link #toString()} never shows the password.
 *
 * <p>Backend properties come from {@link Builder#property(String, String)} and from the query
 * parameters of the first URL ({@code nats://host:4222?jetstream=true}); explicit properties
 * win over URL parameters. Which names a backend takes, and which URL schemes go together, its
 * provider declares ({@link dev.omnibus.broker.spi.BrokerProvider}); {@link Brokers#create(BrokerOptions)}
 * checks both.
 */
public final class BrokerOptions {
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_PUBLISH_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);

    private final List<String> urls;
    private final String nodeId;
    private final Duration connectTimeout;
    private final Duration publishTimeout;
    private final Duration shutdownTimeout;
    private final SSLContext sslContext;
    private final ThreadFactory threadFactory;
    private final String username;
    private final String password;
    private final Map<String, String> properties;
    private final Map<String, String> explicitProperties;
    private final List<HandlerInterceptor> interceptors;
    private final List<PublishInterceptor> publishInterceptors;

    private BrokerOptions(Builder b, Map<String, String> properties) {
        this.urls = List.copyOf(b.urls);
        this.nodeId = b.nodeId != null ? b.nodeId : randomNodeId();
        this.connectTimeout = b.connectTimeout;
        this.publishTimeout = b.publishTimeout;
        this.shutdownTimeout = b.shutdownTimeout;
        this.sslContext = b.sslContext;
        this.threadFactory = b.threadFactory;
        this.username = b.username;
        this.password = b.password;
        this.properties = properties;
        this.explicitProperties = Map.copyOf(b.properties);
        this.interceptors = List.copyOf(b.interceptors);
        this.publishInterceptors = List.copyOf(b.publishInterceptors);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Options for one URL, everything else default. */
    public static BrokerOptions of(String url) {
        return builder().url(url).build();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** The first URL as given (may contain a password: show {@link #redactedUrls()} to people). */
    public String url() {
        return urls.get(0);
    }

    /** All URLs as given, e.g. the servers of a cluster. */
    public List<String> urls() {
        return urls;
    }

    /** The URLs with passwords masked, comma-separated: safe for logs and messages. */
    public String redactedUrls() {
        StringBuilder b = new StringBuilder();
        for (String u : urls) {
            if (b.length() > 0) {
                b.append(',');
            }
            b.append(Redaction.url(u));
        }
        return b.toString();
    }

    /** The URL scheme of the first URL, lower case ({@code nats}, {@code amqp}, {@code memory}). */
    public String scheme() {
        return schemeOf(url());
    }

    /** This broker instance's id, unique among the nodes of one system (default: random, 8 characters). */
    public String nodeId() {
        return nodeId;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** How long a publish waits for the broker (or for a lost connection to come back) before failing. */
    public Duration publishTimeout() {
        return publishTimeout;
    }

    /** How long disconnect and unsubscribe wait for running handlers. */
    public Duration shutdownTimeout() {
        return shutdownTimeout;
    }

    /** The TLS context to use, or null for the backend's default. */
    public SSLContext sslContext() {
        return sslContext;
    }

    /**
     * Makes the threads of the broker's handler pool, or null for the default: daemon platform
     * threads named {@code omnibus-handler-<backend>-<nodeId>-<n>}. The pool is shared by all the
     * broker's subscriptions: twice the processors (at least 4) threads, plus up to 256 more while
     * handlers block (see {@link dev.omnibus.broker.support.HandlerPool}); with a factory that bound
     * limits how many handlers run at once. On Java 21, {@code Thread.ofVirtual().factory()} runs
     * every handler on a virtual thread. Backends use it for handler threads only, not for their
     * client's I/O threads.
     */
    public ThreadFactory threadFactory() {
        return threadFactory;
    }

    /** User name given to the builder, or null (backends also read it from the URL). */
    public String username() {
        return username;
    }

    /** Password given to the builder, or null. Never log it. */
    public String password() {
        return password;
    }

    /** Backend properties: the first URL's query parameters overlaid with explicit ones. */
    public Map<String, String> properties() {
        return properties;
    }

    /** A backend property, or {@code defaultValue}. */
    public String property(String name, String defaultValue) {
        return properties.getOrDefault(name, defaultValue);
    }

    /** A boolean backend property; anything but true/false is an IllegalArgumentException. */
    public boolean booleanProperty(String name, boolean defaultValue) {
        return BackendProperty.ofBoolean(name, defaultValue, "").value(this);
    }

    /** An integer backend property within [min, max]; anything else is an IllegalArgumentException. */
    public long longProperty(String name, long defaultValue, long min, long max) {
        String v = properties.get(name);
        if (v == null || v.isEmpty()) {
            return defaultValue; // a default outside [min, max] is the caller's business, as before
        }
        return BackendProperty.ofLong(name, min, min, max, "").parse(v);
    }

    /** A duration backend property in ISO-8601 ({@code PT2S}) or milliseconds ({@code 2000}). */
    public Duration durationProperty(String name, Duration defaultValue) {
        return BackendProperty.ofDuration(name, defaultValue, "").value(this);
    }

    /**
     * Handler interceptors applied to every subscription of the broker, outermost first
     * (unmodifiable); they run around the subscription's own ({@link SubscribeOptions#interceptors()}).
     * Empty by default.
     */
    public List<HandlerInterceptor> interceptors() {
        return interceptors;
    }

    /** Interceptors around every publish and publishAsync of the broker, outermost first (unmodifiable). Empty by default. */
    public List<PublishInterceptor> publishInterceptors() {
        return publishInterceptors;
    }

    @Override
    public String toString() {
        return "BrokerOptions{urls=" + redactedUrls() + ", nodeId=" + nodeId + ", connectTimeout=" + connectTimeout
                + ", publishTimeout=" + publishTimeout + ", shutdownTimeout=" + shutdownTimeout
                + ", tls=" + (sslContext != null) + (threadFactory != null ? ", threadFactory=" + threadFactory.getClass().getName() : "")
                + ", username=" + username
                + ", password=" + (password == null ? "null" : Redaction.MASK) + ", properties=" + redactedProperties()
                + (interceptors.isEmpty() ? "" : ", interceptors=" + interceptors.size())
                + (publishInterceptors.isEmpty() ? "" : ", publishInterceptors=" + publishInterceptors.size()) + "}";
    }

    private Map<String, String> redactedProperties() {
        Map<String, String> m = new LinkedHashMap<>(properties);
        m.replaceAll((k, v) -> k.toLowerCase().matches(".*(password|pass|token|secret|nkey|jwt).*") ? Redaction.MASK : v);
        return m;
    }

    /** The scheme of {@code url}, lower case, or an IllegalArgumentException when it has none. */
    public static String schemeOf(String url) {
        int colon = url.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("broker URL '" + Redaction.url(url)
                    + "' has no scheme; write it as scheme:..., e.g. memory:, nats://127.0.0.1:4222, amqp://127.0.0.1:5672");
        }
        String scheme = url.substring(0, colon).toLowerCase();
        for (int i = 0; i < scheme.length(); i++) {
            char c = scheme.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
                throw new IllegalArgumentException("broker URL '" + Redaction.url(url)
                        + "' has an invalid scheme; write it as scheme:..., e.g. nats://127.0.0.1:4222");
            }
        }
        return scheme;
    }

    static String randomNodeId() {
        String s = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
        return (s + "00000000").substring(0, 8);
    }

    private static Map<String, String> queryOf(String url) {
        Map<String, String> m = new LinkedHashMap<>();
        int q = url.indexOf('?');
        if (q < 0) {
            return m;
        }
        int end = url.indexOf('#', q);
        String query = url.substring(q + 1, end < 0 ? url.length() : end);
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "true" : pair.substring(eq + 1);
            m.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
        }
        return m;
    }

    /** Builds {@link BrokerOptions}. */
    public static final class Builder {
        private final List<String> urls = new ArrayList<>();
        private String nodeId;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration publishTimeout = DEFAULT_PUBLISH_TIMEOUT;
        private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
        private SSLContext sslContext;
        private ThreadFactory threadFactory;
        private String username;
        private String password;
        private final Map<String, String> properties = new LinkedHashMap<>();
        private final List<HandlerInterceptor> interceptors = new ArrayList<>();
        private final List<PublishInterceptor> publishInterceptors = new ArrayList<>();

        private Builder() {
        }

        private Builder(BrokerOptions o) {
            urls.addAll(o.urls);
            nodeId = o.nodeId;
            connectTimeout = o.connectTimeout;
            publishTimeout = o.publishTimeout;
            shutdownTimeout = o.shutdownTimeout;
            sslContext = o.sslContext;
            threadFactory = o.threadFactory;
            username = o.username;
            password = o.password;
            properties.putAll(o.explicitProperties);
            interceptors.addAll(o.interceptors);
            publishInterceptors.addAll(o.publishInterceptors);
        }

        /**
         * Sets the URL, replacing earlier ones. A comma-separated list names several servers
         * of one cluster ({@code nats://a:4222,nats://b:4222}).
         */
        public Builder url(String url) {
            Objects.requireNonNull(url, "url must not be null");
            urls.clear();
            for (String u : url.split(",")) {
                if (!u.isBlank()) {
                    urls.add(u.trim());
                }
            }
            return this;
        }

        /** Sets several URLs (servers of one cluster), replacing earlier ones. */
        public Builder urls(List<String> urls) {
            Objects.requireNonNull(urls, "urls must not be null");
            this.urls.clear();
            urls.forEach(u -> this.urls.add(Objects.requireNonNull(u, "url must not be null")));
            return this;
        }

        public Builder nodeId(String nodeId) {
            this.nodeId = nodeId;
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        public Builder publishTimeout(Duration timeout) {
            this.publishTimeout = timeout;
            return this;
        }

        public Builder shutdownTimeout(Duration timeout) {
            this.shutdownTimeout = timeout;
            return this;
        }

        /** The factory of handler threads (see {@link BrokerOptions#threadFactory()}); null for the default. */
        public Builder threadFactory(ThreadFactory threadFactory) {
            this.threadFactory = threadFactory;
            return this;
        }

        public Builder sslContext(SSLContext sslContext) {
            this.sslContext = sslContext;
            return this;
        }

        /** Credentials; they override credentials written in the URL. */
        public Builder credentials(String username, String password) {
            this.username = username;
            this.password = password;
            return this;
        }

        /** A backend property; overrides the URL query parameter of the same name. */
        public Builder property(String name, String value) {
            Objects.requireNonNull(name, "property name must not be null");
            Objects.requireNonNull(value, () -> "value of property '" + name + "' must not be null");
            properties.put(name, value);
            return this;
        }

        /**
         * Adds a handler interceptor run around every handler of the broker's subscriptions,
         * inside those added before and outside each subscription's own.
         */
        public Builder interceptor(HandlerInterceptor interceptor) {
            interceptors.add(Objects.requireNonNull(interceptor, "interceptor must not be null"));
            return this;
        }

        /** Replaces the broker's handler interceptors with {@code interceptors}, in order. */
        public Builder interceptors(List<? extends HandlerInterceptor> interceptors) {
            Objects.requireNonNull(interceptors, "interceptors must not be null; use List.of() for none");
            this.interceptors.clear();
            interceptors.forEach(this::interceptor);
            return this;
        }

        /** Adds an interceptor around every publish and publishAsync, inside those added before. */
        public Builder publishInterceptor(PublishInterceptor interceptor) {
            publishInterceptors.add(Objects.requireNonNull(interceptor, "publish interceptor must not be null"));
            return this;
        }

        /** Replaces the broker's publish interceptors with {@code interceptors}, in order. */
        public Builder publishInterceptors(List<? extends PublishInterceptor> interceptors) {
            Objects.requireNonNull(interceptors, "publish interceptors must not be null; use List.of() for none");
            this.publishInterceptors.clear();
            interceptors.forEach(this::publishInterceptor);
            return this;
        }

        public BrokerOptions build() {
            if (urls.isEmpty()) {
                throw new IllegalArgumentException("a broker URL is required, e.g. memory:, nats://127.0.0.1:4222 or amqp://127.0.0.1:5672");
            }
            // which schemes belong together is the providers' business: Brokers.create checks it
            urls.forEach(BrokerOptions::schemeOf);
            timeout("connectTimeout", connectTimeout);
            timeout("publishTimeout", publishTimeout);
            timeout("shutdownTimeout", shutdownTimeout);
            if (nodeId != null && !nodeId.matches("[A-Za-z0-9_-]{1,64}")) {
                throw new IllegalArgumentException("nodeId '" + nodeId
                        + "' must be 1 to 64 letters, digits, '-' or '_' (it becomes part of queue and subject names)");
            }
            Map<String, String> merged = queryOf(urls.get(0));
            merged.putAll(properties);
            return new BrokerOptions(this, Collections.unmodifiableMap(merged));
        }

        private static void timeout(String name, Duration d) {
            Objects.requireNonNull(d, name + " must not be null");
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, was " + d);
            }
        }
    }
}
