package dev.omnibus.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("BrokerOptions")
class BrokerOptionsTest {

    @Test
    @DisplayName("defaults: named timeouts, a random 8-character node id, no TLS, no credentials, no properties")
    void defaults() {
        BrokerOptions o = BrokerOptions.of("memory:");
        assertThat(o.url()).isEqualTo("memory:");
        assertThat(o.urls()).containsExactly("memory:");
        assertThat(o.connectTimeout()).isEqualTo(BrokerOptions.DEFAULT_CONNECT_TIMEOUT).isEqualTo(Duration.ofSeconds(5));
        assertThat(o.publishTimeout()).isEqualTo(BrokerOptions.DEFAULT_PUBLISH_TIMEOUT).isEqualTo(Duration.ofSeconds(10));
        assertThat(o.shutdownTimeout()).isEqualTo(BrokerOptions.DEFAULT_SHUTDOWN_TIMEOUT).isEqualTo(Duration.ofSeconds(10));
        assertThat(o.nodeId()).matches("[a-z0-9]{8}");
        assertThat(o.sslContext()).isNull();
        assertThat(o.username()).isNull();
        assertThat(o.password()).isNull();
        assertThat(o.properties()).isEmpty();
    }

    @Test
    @DisplayName("random node ids differ between instances and pass the nodeId validation")
    void randomNodeIds() {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            String id = BrokerOptions.of("memory:").nodeId();
            ids.add(id);
            BrokerOptions.builder().url("memory:").nodeId(id).build();
        }
        assertThat(ids).hasSizeGreaterThan(195);
    }

    @Test
    @DisplayName("URL query parameters become properties, decoded; a parameter without value is 'true'")
    void queryBecomesProperties() {
        BrokerOptions o = BrokerOptions.of("nats://127.0.0.1:4222?jetstream=true&stream=ORDERS&name=a%20b&flag&&x=1#frag");
        assertThat(o.properties()).containsExactly(
                entry("jetstream", "true"), entry("stream", "ORDERS"), entry("name", "a b"), entry("flag", "true"), entry("x", "1"));
        assertThat(o.property("stream", "dflt")).isEqualTo("ORDERS");
        assertThat(o.property("missing", "dflt")).isEqualTo("dflt");
        assertThatThrownBy(() -> o.properties().put("y", "2")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    @DisplayName("an explicit property wins over the URL parameter, whichever was set first")
    void explicitPropertyWins() {
        BrokerOptions before = BrokerOptions.builder().property("jetstream", "false")
                .url("nats://h:4222?jetstream=true&a=1").build();
        BrokerOptions after = BrokerOptions.builder().url("nats://h:4222?jetstream=true&a=1")
                .property("jetstream", "false").build();
        assertThat(before.properties()).containsEntry("jetstream", "false").containsEntry("a", "1");
        assertThat(after.properties()).containsEntry("jetstream", "false").containsEntry("a", "1");
    }

    @Test
    @DisplayName("only the first URL's query supplies properties")
    void onlyFirstUrlQuery() {
        BrokerOptions o = BrokerOptions.of("nats://a:4222?x=1,nats://b:4222?y=2");
        assertThat(o.properties()).containsOnlyKeys("x");
    }

    @Test
    @DisplayName("a comma-separated URL is split into trimmed URLs, blanks ignored; url() is the first")
    void commaSeparatedUrls() {
        BrokerOptions o = BrokerOptions.of(" nats://a:4222, nats://b:4222 ,,tls://c:4222 ");
        assertThat(o.urls()).containsExactly("nats://a:4222", "nats://b:4222", "tls://c:4222");
        assertThat(o.url()).isEqualTo("nats://a:4222");
        assertThat(o.scheme()).isEqualTo("nats");
        assertThatThrownBy(() -> o.urls().add("x:")).isInstanceOf(UnsupportedOperationException.class);
        BrokerOptions list = BrokerOptions.builder().urls(List.of("amqp://a", "amqps://b")).build();
        assertThat(list.urls()).containsExactly("amqp://a", "amqps://b");
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @CsvSource({
            "memory:,                  memory",
            "memory://bus,             memory",
            "NATS://127.0.0.1:4222,    nats",
            "amqps://u:p@host:5671/vh, amqps",
            "my+scheme.v-2://x,        my+scheme.v-2",
    })
    @DisplayName("the scheme is the part before the first colon, in lower case")
    void scheme(String url, String scheme) {
        assertThat(BrokerOptions.schemeOf(url)).isEqualTo(scheme);
        assertThat(BrokerOptions.of(url).scheme()).isEqualTo(scheme);
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @ValueSource(strings = {"localhost", ":4222", "//host"})
    @DisplayName("a URL without a scheme is rejected with examples of valid URLs")
    void noScheme(String url) {
        assertThatThrownBy(() -> BrokerOptions.of(url))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has no scheme").hasMessageContaining("nats://127.0.0.1:4222");
    }

    @Test
    @DisplayName("a scheme with invalid characters is rejected, and the message hides the password")
    void invalidScheme() {
        assertThatThrownBy(() -> BrokerOptions.of("na ts://user:hunter2@h"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid scheme")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2"));
    }

    @Test
    @DisplayName("no URL at all is rejected")
    void urlRequired() {
        assertThatThrownBy(() -> BrokerOptions.builder().build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a broker URL is required");
        assertThatThrownBy(() -> BrokerOptions.builder().url(" , ").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a broker URL is required");
        assertThatThrownBy(() -> BrokerOptions.builder().url(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    @DisplayName("options do not judge which schemes go together (Brokers.create asks the providers), but every URL needs one")
    void mixedSchemes() {
        assertThat(BrokerOptions.of("nats://a:4222,tls://b:4222").urls()).hasSize(2);
        assertThat(BrokerOptions.of("amqps://a,amqp://b").urls()).hasSize(2);
        assertThat(BrokerOptions.of("memory:,nats://b").scheme()).isEqualTo("memory");
        assertThatThrownBy(() -> BrokerOptions.of("nats://a:4222,my_host:1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid scheme");
        assertThatThrownBy(() -> BrokerOptions.of("nats://a:4222,localhost"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has no scheme");
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"connectTimeout", "publishTimeout", "shutdownTimeout"})
    @DisplayName("negative and zero timeouts are rejected naming the option and value; null is an NPE")
    void badTimeouts(String option) {
        assertThatThrownBy(() -> withTimeout(option, Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(option + " must be positive, was PT-1S");
        assertThatThrownBy(() -> withTimeout(option, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(option + " must be positive, was PT0S");
        assertThatThrownBy(() -> withTimeout(option, null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining(option);
        assertThat(withTimeout(option, Duration.ofMillis(1))).isNotNull();
    }

    private static BrokerOptions withTimeout(String option, Duration d) {
        BrokerOptions.Builder b = BrokerOptions.builder().url("memory:");
        switch (option) {
            case "connectTimeout" -> b.connectTimeout(d);
            case "publishTimeout" -> b.publishTimeout(d);
            default -> b.shutdownTimeout(d);
        }
        return b.build();
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @ValueSource(strings = {"", "has space", "dot.ted", "slash/y", "ünï"})
    @DisplayName("an invalid nodeId is rejected quoting it and the rule")
    void badNodeId(String nodeId) {
        assertThatThrownBy(() -> BrokerOptions.builder().url("memory:").nodeId(nodeId).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nodeId '" + nodeId + "'")
                .hasMessageContaining("1 to 64 letters, digits, '-' or '_'");
    }

    @Test
    @DisplayName("a nodeId of 64 allowed characters is accepted, 65 is not")
    void nodeIdLength() {
        assertThat(BrokerOptions.builder().url("memory:").nodeId("n-_9".repeat(16)).build().nodeId()).hasSize(64);
        assertThatThrownBy(() -> BrokerOptions.builder().url("memory:").nodeId("n".repeat(65)).build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("typed property accessors parse values or name the property and the bad value")
    void typedProperties() {
        BrokerOptions o = BrokerOptions.of("x://h?b=TRUE&n=42&d=PT2S&ms=1500&badb=yes&badn=4x&big=1000&badd=soon");
        assertThat(o.booleanProperty("b", false)).isTrue();
        assertThat(o.booleanProperty("absent", true)).isTrue();
        assertThat(o.longProperty("n", 0, 0, 100)).isEqualTo(42);
        assertThat(o.longProperty("absent", 7, 0, 100)).isEqualTo(7);
        assertThat(o.durationProperty("d", null)).isEqualTo(Duration.ofSeconds(2));
        assertThat(o.durationProperty("ms", null)).isEqualTo(Duration.ofMillis(1500));
        assertThatThrownBy(() -> o.booleanProperty("badb", false))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("property 'badb' must be true or false, was 'yes'");
        assertThatThrownBy(() -> o.longProperty("badn", 0, 0, 100))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'badn'").hasMessageContaining("'4x'");
        assertThatThrownBy(() -> o.longProperty("big", 0, 0, 100))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'big' must be between 0 and 100, was 1000");
        assertThatThrownBy(() -> o.durationProperty("badd", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'badd'").hasMessageContaining("'soon'");
    }

    @Test
    @DisplayName("toString and redactedUrls never contain a password from the URL, credentials() or secret parameters")
    void noPasswordInToString() {
        BrokerOptions o = BrokerOptions.builder()
                .url("amqp://guest:urlSecret1@rabbit:5672/vh?password=querySecret2&token=querySecret3&heartbeat=10,"
                        + "amqps://other:urlSecret4@rabbit2:5671")
                .credentials("bob", "credSecret5")
                .property("auth_token", "propSecret6")
                .property("nkey", "propSecret7")
                .property("clientSecret", "propSecret8")
                .property("jwt", "propSecret9")
                .build();
        String shown = o.toString() + " " + o.redactedUrls();
        for (int i = 1; i <= 9; i++) {
            assertThat(shown).doesNotContain("Secret" + i);
        }
        assertThat(o.redactedUrls()).isEqualTo(
                "amqp://guest:***@rabbit:5672/vh?password=***&token=***&heartbeat=10,amqps://other:***@rabbit2:5671");
        assertThat(o.toString()).contains("username=bob").contains("password=***").contains("heartbeat=10")
                .contains("rabbit2:5671");
        assertThat(o.password()).as("the accessor still gives the real value to the backend").isEqualTo("credSecret5");
        assertThat(o.url()).contains("urlSecret1");
    }

    @Test
    @DisplayName("toString says password=null when there is none")
    void toStringWithoutPassword() {
        assertThat(BrokerOptions.of("memory:").toString()).contains("password=null").contains("urls=memory:");
    }

    @Test
    @DisplayName("toBuilder().build() reproduces every field")
    void toBuilderRoundTrip() throws Exception {
        SSLContext ssl = SSLContext.getDefault();
        BrokerOptions o = BrokerOptions.builder()
                .url("nats://a:4222?jetstream=true,nats://b:4222")
                .nodeId("node-1")
                .connectTimeout(Duration.ofMillis(1))
                .publishTimeout(Duration.ofMillis(2))
                .shutdownTimeout(Duration.ofMillis(3))
                .sslContext(ssl)
                .credentials("u", "p")
                .property("stream", "S")
                .property("jetstream", "false")
                .build();
        BrokerOptions copy = o.toBuilder().build();
        assertThat(copy.urls()).isEqualTo(o.urls());
        assertThat(copy.nodeId()).isEqualTo("node-1");
        assertThat(copy.connectTimeout()).isEqualTo(Duration.ofMillis(1));
        assertThat(copy.publishTimeout()).isEqualTo(Duration.ofMillis(2));
        assertThat(copy.shutdownTimeout()).isEqualTo(Duration.ofMillis(3));
        assertThat(copy.sslContext()).isSameAs(ssl);
        assertThat(copy.username()).isEqualTo("u");
        assertThat(copy.password()).isEqualTo("p");
        assertThat(copy.properties()).isEqualTo(o.properties()).containsEntry("jetstream", "false").containsEntry("stream", "S");
        assertThat(copy.toString()).isEqualTo(o.toString());
    }

    @Test
    @DisplayName("deriving with a new URL drops the old URL's parameters but keeps explicit properties")
    void toBuilderNewUrl() {
        BrokerOptions o = BrokerOptions.builder().url("nats://a:4222?fromUrl=1&shared=url").property("explicit", "e")
                .property("shared", "explicit").build();
        BrokerOptions moved = o.toBuilder().url("nats://b:4222?other=2").build();
        assertThat(moved.properties()).containsOnlyKeys("explicit", "shared", "other")
                .containsEntry("shared", "explicit");
        assertThat(o.toBuilder().url("nats://c:4222").build().nodeId()).isEqualTo(o.nodeId());
    }

    @Test
    @DisplayName("an explicit property equal to the URL parameter survives deriving with another URL")
    void toBuilderKeepsExplicitPropertyEqualToUrlValue() {
        BrokerOptions o = BrokerOptions.builder().url("nats://a:4222?jetstream=true").property("jetstream", "true").build();
        BrokerOptions moved = o.toBuilder().url("nats://b:4222").build();
        assertThat(moved.properties()).containsEntry("jetstream", "true");
    }

    private static java.util.Map.Entry<String, String> entry(String k, String v) {
        return java.util.Map.entry(k, v);
    }
}
