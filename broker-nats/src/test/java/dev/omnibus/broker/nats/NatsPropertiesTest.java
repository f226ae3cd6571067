package dev.omnibus.broker.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.spi.BackendProperty;
import dev.omnibus.broker.tck.PropertiesReadme;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The declared NATS properties; no server needed. */
@DisplayName("NATS backend properties")
class NatsPropertiesTest {
    private static final String VALID = "ackWait, credentials, inactiveThreshold, jetstream, maxAge, maxReconnects, reconnectBufferSize,"
            + " reconnectWait, replicas, requestPrefix, retention, storage, stream";

    @Test
    @DisplayName("the provider declares every property the backend reads, credentials included")
    void declared() {
        assertThat(new NatsBrokerProvider().properties()).extracting(BackendProperty::name)
                .contains(NatsBroker.CREDENTIALS_PROPERTY, "jetstream", "stream", "maxReconnects").hasSize(13);
    }

    @Test
    @DisplayName("a misspelt property fails at Brokers.create naming it, the broker (password masked), the fix and the valid names")
    void unknownName() {
        assertThatThrownBy(() -> Brokers.create("nats://127.0.0.1:4222?jetstrem=true"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown property 'jetstrem' for the nats broker at nats://127.0.0.1:4222?jetstrem=true;"
                        + " did you mean 'jetstream'?; valid names: " + VALID);
        assertThatThrownBy(() -> Brokers.create("nats://alice:s3cret@a:4222?ackwait=PT1S,tls://b:4443"))
                .hasMessageStartingWith("unknown property 'ackwait' for the nats broker at nats://alice:***@a:4222?ackwait=PT1S,tls://b:4443;"
                        + " did you mean 'ackWait'?")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cret"));
    }

    @Test
    @DisplayName("init checks names too, and keeps the old options when it refuses")
    void unknownNameAtInit() {
        Broker b = Brokers.create("nats://127.0.0.1:4222");
        BrokerOptions before = b.options();
        assertThatThrownBy(() -> b.init(BrokerOptions.builder().url("nats://127.0.0.1:4222").property("streem", "x").build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown property 'streem'").hasMessageContaining("did you mean 'stream'?");
        assertThat(b.options()).isSameAs(before);
    }

    @Test
    @DisplayName("values parse to their declared types, with the defaults of the README")
    void values() {
        NatsSettings d = NatsSettings.from(BrokerOptions.of("nats://h:4222"));
        assertThat(d.jetStream()).isFalse();
        assertThat(d.stream()).isEqualTo("omnibus");
        assertThat(d.storage()).isEqualTo(StorageType.File);
        assertThat(d.retention()).isEqualTo(RetentionPolicy.Limits);
        assertThat(d.maxAge()).isEqualTo(Duration.ofDays(7));
        assertThat(d.maxReconnects()).isEqualTo(-1);
        assertThat(d.reconnectBufferSize()).isEqualTo(8L * 1024 * 1024);
        NatsSettings s = NatsSettings.from(BrokerOptions.builder().url("nats://h:4222?jetstream=TRUE&storage=memory"
                + "&retention=interest&replicas=3&ackWait=1500&requestPrefix=rpc.x").property("maxReconnects", "7").build());
        assertThat(s.jetStream()).isTrue();
        assertThat(s.storage()).isEqualTo(StorageType.Memory);
        assertThat(s.retention()).isEqualTo(RetentionPolicy.Interest);
        assertThat(s.maxAge()).as("interest: unlimited by default").isEqualTo(Duration.ZERO);
        assertThat(s.replicas()).isEqualTo(3);
        assertThat(s.ackWait()).isEqualTo(Duration.ofMillis(1500));
        assertThat(s.requestPrefix()).isEqualTo("rpc.x");
        assertThat(s.maxReconnects()).isEqualTo(7);
        assertThat(NatsSettings.CREDENTIALS.value(BrokerOptions.of("nats://h?credentials=/tmp/u.creds"))).isEqualTo("/tmp/u.creds");
    }

    @Test
    @DisplayName("a bad value fails at create naming the property, the rule and the value")
    void badValues() {
        assertThatThrownBy(() -> Brokers.create("nats://h:4222?replicas=7"))
                .hasMessage("property 'replicas' must be between 1 and 5, was 7");
        assertThatThrownBy(() -> Brokers.create("nats://h:4222?stream=a.b"))
                .hasMessage("property 'stream' must be 1 to 64 letters, digits, '-' or '_', was 'a.b'");
        assertThatThrownBy(() -> Brokers.create("nats://h:4222?reconnectWait=0"))
                .hasMessage("property 'reconnectWait' must be positive, was PT0S");
        assertThatThrownBy(() -> Brokers.create("nats://h:4222?requestPrefix=a..b"))
                .hasMessageStartingWith("property 'requestPrefix' must be a topic").hasMessageEndingWith("was 'a..b'");
        assertThatThrownBy(() -> Brokers.create("nats://h:4222?jetstream=yes"))
                .hasMessage("property 'jetstream' must be true or false, was 'yes'");
    }

    @Test
    @DisplayName("broker-nats/README.md's properties table is generated from the declarations")
    void readme() {
        PropertiesReadme.assertUpToDate(Path.of("README.md"), NatsSettings.PROPERTIES, NatsPropertiesTest.class);
    }
}
