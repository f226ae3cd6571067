package dev.omnibus.broker.support;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("Redaction")
class RedactionTest {

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
            "memory:                                      | memory:",
            "memory://bus                                 | memory://bus",
            "nats://127.0.0.1:4222                        | nats://127.0.0.1:4222",
            "nats://host                                  | nats://host",
            "amqp://guest:guest@localhost:5672/%2f        | amqp://guest:***@localhost:5672/%2f",
            "amqp://guest:guest@localhost                 | amqp://guest:***@localhost",
            "amqps://user:s3cr3t@host/vhost?heartbeat=10  | amqps://user:***@host/vhost?heartbeat=10",
            "amqp://user:pa:ss@host:5672                  | amqp://user:***@host:5672",
            "amqp://user:p%40ss@host                      | amqp://user:***@host",
            "amqp://:onlypass@host                        | amqp://:***@host",
            "amqp://user:@host                            | amqp://user:***@host",
            "amqp://user@host:5672                        | amqp://***@host:5672",  // user-info without a password may be a token
            "amqp://u:p@                                  | amqp://u:***@",
            "nats://u:p@[::1]:4222                        | nats://u:***@[::1]:4222",
            "nats://a:p1@h1:4222,nats://b:p2@h2:4222      | nats://a:***@h1:4222,nats://b:***@h2:4222",
            "nats://h1:4222,nats://u:p@h2:4222            | nats://h1:4222,nats://u:***@h2:4222",
            "nats://host:4222?token=abc&x=1               | nats://host:4222?token=***&x=1",
            "nats://host?x=1&password=pw&pass=p2;secret=s | nats://host?x=1&password=***&pass=***;secret=***",
            "nats://host?PASSWORD=pw&Token=t              | nats://host?PASSWORD=***&Token=***",
            "nats://host?auth_token=t&nkey=n&jwt=j        | nats://host?auth_token=***&nkey=***&jwt=***",
            "nats://host?passive=true&tokens=3            | nats://host?passive=true&tokens=3",
            "http://u:p@h/path?q=1#frag                   | http://u:***@h/path?q=1#frag",
            "not a url                                    | not a url",
            "''                                           | ''",
    })
    @DisplayName("url masks user-info passwords and secret query parameters and leaves the rest intact")
    void urls(String url, String expected) {
        assertThat(Redaction.url(url)).isEqualTo(expected);
    }

    @Test
    @DisplayName("url(null) is null")
    void nullUrl() {
        assertThat(Redaction.url(null)).isNull();
    }

    @Test
    @DisplayName("url is idempotent")
    void idempotent() {
        String once = Redaction.url("amqp://u:p@h?token=t");
        assertThat(Redaction.url(once)).isEqualTo(once);
    }

    @Test
    @DisplayName("a password with an unencoded '@' is masked completely")
    void passwordWithAt() {
        String redacted = Redaction.url("amqp://user:p@ss@host:5672");
        assertThat(redacted).doesNotContain("ss@host").isEqualTo("amqp://user:***@host:5672");
    }

    @Test
    @DisplayName("secret masks every occurrence of the secret and ignores null or empty secrets")
    void secret() {
        assertThat(Redaction.secret("login hunter2 failed for hunter2", "hunter2")).isEqualTo("login *** failed for ***");
        assertThat(Redaction.secret("text", null)).isEqualTo("text");
        assertThat(Redaction.secret("text", "")).isEqualTo("text");
        assertThat(Redaction.secret(null, "x")).isNull();
    }

    @Test
    @DisplayName("a throwable's message: URLs, the options' password and each URL's password masked, one line, bounded")
    void throwable() {
        dev.omnibus.broker.BrokerOptions o = dev.omnibus.broker.BrokerOptions.builder().url("nats://bob:url-pw@h1:4222")
                .credentials("alice", "opt-pw").build();
        String text = Redaction.throwable(new IllegalStateException("failed for amqp://x:y@h with url-pw and opt-pw\nsecond line"),
                o.password(), o.urls());
        assertThat(text).doesNotContain("url-pw").doesNotContain("opt-pw").doesNotContain(":y@").doesNotContain("\n")
                .contains("failed for");
        assertThat(Redaction.throwable(new RuntimeException("x".repeat(5000)), o.password(), o.urls())).hasSize(1000);
        assertThat(Redaction.throwable(new NullPointerException(), null, java.util.List.of())).isEqualTo("java.lang.NullPointerException");
    }
}
