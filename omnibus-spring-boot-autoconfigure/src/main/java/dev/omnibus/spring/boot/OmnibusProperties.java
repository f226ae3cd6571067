package dev.omnibus.spring.boot;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Spring Boot properties of the Omnibus broker, under {@code omnibus.broker}. The defaults are
 * those of {@link dev.omnibus.broker.BrokerOptions}.
 */
@ConfigurationProperties(prefix = "omnibus.broker")
public class OmnibusProperties {
    /**
     * Broker URL, whose scheme picks the backend: memory:, nats://host:4222, amqp://host:5672.
     * Several servers of one cluster are comma-separated. When unset, the rules of
     * Brokers.fromEnvironment() apply: system property omnibus.broker.url, environment variable
     * OMNIBUS_BROKER_URL, else the only backend on the classpath with its default URL.
     */
    private String url;

    /** This instance's node id (1 to 64 letters, digits, '-' or '_'); random when unset. */
    private String nodeId;

    /** How long a connection attempt may take before it fails. */
    private Duration connectTimeout = Duration.ofSeconds(5);

    /** How long a publish waits for the broker, or for a lost connection to come back. */
    private Duration publishTimeout = Duration.ofSeconds(10);

    /** How long shutdown waits for running handlers to finish. */
    private Duration shutdownTimeout = Duration.ofSeconds(10);

    /** User name; overrides one written in the URL. */
    private String username;

    /** Password; overrides one written in the URL. Never logged nor shown in health details. */
    private String password;

    /** What to do when the broker cannot be reached at startup. */
    private Startup startup = Startup.FAIL;

    /** With startup=retry: the wait between connection attempts. */
    private Duration startupRetryInterval = Duration.ofSeconds(2);

    /**
     * Which JSON mapper encodes typed events and listener payloads, when the application has no
     * Codec bean of its own.
     */
    private JsonMapper jsonMapper = JsonMapper.APPLICATION;

    /** Backend properties, passed through as BrokerOptions properties (e.g. jetstream=true for NATS). */
    private Map<String, String> properties = new LinkedHashMap<>();

    /** What the application does when the broker is down at startup. */
    public enum Startup {
        /** Fail the application's startup with the broker's connection error. */
        FAIL,
        /** Start anyway: health is DOWN and listeners attach once the broker is connected. */
        RETRY
    }

    /** Where the JSON codec's mapper comes from. */
    public enum JsonMapper {
        /** The application's Jackson 3 JsonMapper bean when there is one, else Omnibus' own Jackson 2 codec. */
        APPLICATION,
        /** Always Omnibus' own Jackson 2 codec (JsonCodec.create()), whatever the application configures. */
        OMNIBUS
    }

    public String getUrl() {
        return url;
    }

    public void setUrl(String url) {
        this.url = url;
    }

    public String getNodeId() {
        return nodeId;
    }

    public void setNodeId(String nodeId) {
        this.nodeId = nodeId;
    }

    public Duration getConnectTimeout() {
        return connectTimeout;
    }

    public void setConnectTimeout(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    public Duration getPublishTimeout() {
        return publishTimeout;
    }

    public void setPublishTimeout(Duration publishTimeout) {
        this.publishTimeout = publishTimeout;
    }

    public Duration getShutdownTimeout() {
        return shutdownTimeout;
    }

    public void setShutdownTimeout(Duration shutdownTimeout) {
        this.shutdownTimeout = shutdownTimeout;
    }

    public String getUsername() {
        return username;
    }

    public void setUsername(String username) {
        this.username = username;
    }

    public String getPassword() {
        return password;
    }

    public void setPassword(String password) {
        this.password = password;
    }

    public Startup getStartup() {
        return startup;
    }

    public void setStartup(Startup startup) {
        this.startup = startup;
    }

    public Duration getStartupRetryInterval() {
        return startupRetryInterval;
    }

    public void setStartupRetryInterval(Duration startupRetryInterval) {
        this.startupRetryInterval = startupRetryInterval;
    }

    public JsonMapper getJsonMapper() {
        return jsonMapper;
    }

    public void setJsonMapper(JsonMapper jsonMapper) {
        this.jsonMapper = jsonMapper;
    }

    public Map<String, String> getProperties() {
        return properties;
    }

    public void setProperties(Map<String, String> properties) {
        this.properties = properties;
    }

    /** Never shows the password. */
    @Override
    public String toString() {
        return "OmnibusProperties{url=" + (url == null ? null : dev.omnibus.broker.support.Redaction.url(url))
                + ", nodeId=" + nodeId + ", startup=" + startup + "}";
    }
}
