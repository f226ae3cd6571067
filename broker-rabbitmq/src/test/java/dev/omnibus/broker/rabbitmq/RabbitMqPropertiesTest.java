package dev.omnibus.broker.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.spi.BackendProperty;
import dev.omnibus.broker.tck.PropertiesReadme;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The declared RabbitMQ properties; no server needed. */
@DisplayName("RabbitMQ backend properties")
class RabbitMqPropertiesTest {
    private static final String VALID = "exchange, groupQueueExpires, heartbeat, maxMessageBytes, nodePrefetch, persistent,"
            + " publishChannels, queueType, recoveryInterval";

    @Test
    @DisplayName("the provider declares every property the backend reads")
    void declared() {
        assertThat(new RabbitMqBrokerProvider().properties()).extracting(BackendProperty::name)
                .containsExactly("exchange", "nodePrefetch", "groupQueueExpires", "publishChannels", "maxMessageBytes",
                        "recoveryInterval", "heartbeat", "persistent", "queueType");
    }

    @Test
    @DisplayName("an unknown property fails at Brokers.create and at init naming it, the broker (password masked) and the valid names")
    void unknownName() {
        assertThatThrownBy(() -> Brokers.create("amqp://guest:s3cret@127.0.0.1:5672/?exchnage=orders"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown property 'exchnage' for the rabbitmq broker at amqp://guest:***@127.0.0.1:5672/?exchnage=orders;"
                        + " did you mean 'exchange'?; valid names: " + VALID);
        Broker b = Brokers.create("amqp://127.0.0.1:5672");
        assertThatThrownBy(() -> b.init(BrokerOptions.builder().url("amqp://127.0.0.1:5672").property("prefetch", "10").build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown property 'prefetch' for the rabbitmq broker at amqp://127.0.0.1:5672; valid names: " + VALID);
    }

    @Test
    @DisplayName("values parse to their declared types; the defaults are the README's")
    void values() {
        ConnectionSettings d = new ConnectionSettings(BrokerOptions.of("amqp://h"));
        assertThat(d.exchange).isEqualTo("omnibus");
        assertThat(d.groupQueueExpires).isEqualTo(Duration.ofSeconds(60));
        assertThat(d.maxMessageBytes).isEqualTo(128L * 1024 * 1024);
        assertThat(d.persistent).isTrue();
        ConnectionSettings s = new ConnectionSettings(BrokerOptions.of("amqps://h?exchange=shop.v2&nodePrefetch=10"
                + "&groupQueueExpires=PT5M&publishChannels=2&heartbeat=0&persistent=false&recoveryInterval=250"));
        assertThat(s.exchange).isEqualTo("shop.v2");
        assertThat(s.nodePrefetch).isEqualTo(10);
        assertThat(s.groupQueueExpires).isEqualTo(Duration.ofMinutes(5));
        assertThat(s.publishChannels).isEqualTo(2);
        assertThat(s.heartbeatSeconds).isZero();
        assertThat(s.persistent).isFalse();
        assertThat(s.recoveryInterval).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    @DisplayName("a bad value fails at create naming the property, the rule and the value")
    void badValues() {
        assertThatThrownBy(() -> Brokers.create("amqp://h?exchange=amq.topic"))
                .hasMessageStartingWith("property 'exchange' must be 1 to 127 letters").hasMessageEndingWith("was 'amq.topic'");
        assertThatThrownBy(() -> Brokers.create("amqp://h?nodePrefetch=0"))
                .hasMessage("property 'nodePrefetch' must be between 1 and 65535, was 0");
        assertThatThrownBy(() -> Brokers.create("amqp://h?groupQueueExpires=P30D"))
                .hasMessage("property 'groupQueueExpires' must be between 1 ms and 24 days, was PT720H");
        assertThatThrownBy(() -> Brokers.create("amqp://h?persistent=maybe"))
                .hasMessage("property 'persistent' must be true or false, was 'maybe'");
        assertThatThrownBy(() -> new ConnectionSettings(BrokerOptions.of("amqp://a,nats://b")))
                .hasMessageContaining("takes amqp:// or amqps:// URLs");
    }

    @Test
    @DisplayName("broker-rabbitmq/README.md's properties table is generated from the declarations")
    void readme() {
        PropertiesReadme.assertUpToDate(Path.of("README.md"), ConnectionSettings.PROPERTIES, RabbitMqPropertiesTest.class);
    }
}
