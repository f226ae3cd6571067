package dev.omnibus.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.EnumSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The backend-independent checks of {@link dev.omnibus.broker.support.AbstractBroker}, on a trivial backend. */
@DisplayName("AbstractBroker")
class AbstractBrokerTest {
    private final TrivialBroker none = new TrivialBroker("none", BrokerOptions.of("alpha://u:pw@h"), EnumSet.noneOf(Capability.class));
    private final TrivialBroker all = new TrivialBroker("all", BrokerOptions.of("beta://h"), EnumSet.allOf(Capability.class));

    @Test
    @DisplayName("publish and subscribe before connect fail with NotConnectedException saying to connect first")
    void notConnected() {
        assertThatThrownBy(() -> all.publish("a.b", Message.of("x")))
                .isInstanceOf(NotConnectedException.class).hasMessageContaining("call connect() first")
                .hasMessageContaining("'a.b'");
        assertThatThrownBy(() -> all.subscribe("a.b", e -> { }))
                .isInstanceOf(NotConnectedException.class);
        assertThatThrownBy(() -> all.publishAsync("x", Message.of("x")))
                .as("the issue asks for the exception at the call").isInstanceOf(NotConnectedException.class);
        assertThatThrownBy(() -> all.request("x", Message.of("x"), Duration.ofSeconds(1)))
                .isInstanceOf(NotConnectedException.class);
    }

    @Test
    @DisplayName("bad arguments fail before the connection check, and the address hides the password")
    void argumentsFirst() {
        assertThatThrownBy(() -> all.publish("a.*", Message.of("x"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> all.publish("a", null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> all.subscribe("a", null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> all.request("a", Message.of("x"), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive");
        assertThat(none.address()).isEqualTo("alpha://u:***@h");
        assertThat(none.toString()).doesNotContain("pw");
    }

    @Test
    @DisplayName("a topic that passed validation before does not let a bad one through: null, wildcards and "
            + "empty tokens fail however many good topics came first, in whichever slot of the validation cache")
    void validationCacheNeverPassesABadTopic() {
        all.connect();
        try {
            for (int i = 0; i < 100; i++) {
                all.publish("orders.t" + i, Message.of("x"));
                all.publish("orders.t" + i, Message.of("x")); // the same topic again: validated once
            }
            assertThat(all.published).hasSize(200);
            // bad topics of every hash slot, each right after a good topic of that slot
            for (int i = 0; i < 64; i++) {
                String good = "orders.t" + i;
                all.publish(good, Message.of("x"));
                for (String bad : new String[] {good + ".*", good + "..x", good + " x", good + ".>"}) {
                    assertThatThrownBy(() -> all.publish(bad, Message.of("x")))
                            .as(bad).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(bad.trim().substring(0, 6));
                    assertThatThrownBy(() -> all.request(bad, Message.of("x"), Duration.ofSeconds(1)))
                            .as(bad).isInstanceOf(IllegalArgumentException.class);
                }
            }
            assertThatThrownBy(() -> all.publish(null, Message.of("x")))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("topic must not be null");
            assertThatThrownBy(() -> all.request(null, Message.of("x"), Duration.ofSeconds(1)))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("topic must not be null");
            assertThatThrownBy(() -> all.publish("", Message.of("x")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not be empty");
            // an equal topic built anew (another String instance) is validated and passes
            all.publish(new String("orders.t1"), Message.of("x"));
            assertThat(all.published).hasSize(200 + 64 + 1);
        } finally {
            all.disconnect();
        }
    }

    @Test
    @DisplayName("asking for a missing capability fails naming it, before any connection check")
    void capabilities() {
        assertThatThrownBy(() -> none.subscribe("a.*", e -> { }))
                .isInstanceOf(UnsupportedCapabilityException.class)
                .hasMessageContaining("WILDCARDS").hasMessageContaining("'none'")
                .satisfies(e -> assertThat(((UnsupportedCapabilityException) e).capability()).isEqualTo(Capability.WILDCARDS));
        assertThatThrownBy(() -> none.subscribe("a", e -> { }, SubscribeOptions.builder().queue("q").build()))
                .isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining("QUEUE_GROUPS");
        assertThatThrownBy(() -> none.subscribe("a", e -> { }, SubscribeOptions.builder().autoAck(false).build()))
                .isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining("ACKNOWLEDGEMENT");
        assertThatThrownBy(() -> none.request("a", Message.of("x"), Duration.ofSeconds(1)))
                .isInstanceOf(UnsupportedCapabilityException.class).hasMessageContaining("REQUEST_REPLY");
    }

    @Test
    @DisplayName("connect and disconnect are idempotent; disconnect closes the broker's subscriptions")
    void lifecycle() {
        all.connect();
        all.connect();
        assertThat(all.connects).isEqualTo(1);
        assertThat(all.isConnected()).isTrue();
        Subscription s = all.subscribe("a.>", e -> { });
        assertThat(s.isActive()).isTrue();
        all.publish("a.b", Message.of("x"));
        assertThat(all.published).containsExactly("a.b");
        all.disconnect();
        all.disconnect();
        assertThat(all.disconnects).isEqualTo(1);
        assertThat(s.isActive()).isFalse();
        assertThatThrownBy(() -> all.publish("a.b", Message.of("x"))).isInstanceOf(NotConnectedException.class);
    }

    @Test
    @DisplayName("init is refused while connected and accepted while disconnected")
    void init() {
        BrokerOptions next = BrokerOptions.of("beta://other");
        all.connect();
        assertThatThrownBy(() -> all.init(next)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("disconnect() first");
        all.disconnect();
        all.init(next);
        assertThat(all.options()).isSameAs(next);
    }
}
