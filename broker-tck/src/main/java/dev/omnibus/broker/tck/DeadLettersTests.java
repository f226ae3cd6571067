package dev.omnibus.broker.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Capability;
import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Kit group "Dead letters": dead letters after the last attempt. Run by {@link BrokerCompatibilityKit}; the numbers in
 * the display names are those of the kit's catalogue, {@code broker-tck/BEHAVIOURS.md}.
 */
public abstract class DeadLettersTests extends KitGroup {
    protected DeadLettersTests(BrokerCompatibilityKit kit) {
        super(kit);
    }
    @Test
    @DisplayName("21. [DEAD_LETTER] after maxDeliveries the message reaches deadLetterTopic with its original headers and the failure reason")
    void deadLetter() {
        Broker b = connected("a");
        assumeCapability(b, Capability.DEAD_LETTER);
        boolean groups = b.capabilities().contains(Capability.QUEUE_GROUPS);
        String topic = topic("poison");
        String dlt = topic("dead");
        Inbox dead = new Inbox();
        b.subscribe(dlt, dead);
        AtomicInteger attempts = new AtomicInteger();
        b.subscribe(topic, e -> {
            attempts.incrementAndGet();
            throw new IllegalArgumentException("cannot digest " + e.message().bodyAsString());
        }, SubscribeOptions.builder().queue(groups ? group("poison") : null).maxDeliveries(2)
                .redeliveryDelay(Duration.ofMillis(50)).deadLetterTopic(dlt).build());
        Message poison = Message.builder().body("poison-pill").header("x-origin", "kit").build();
        b.publish(topic, poison);
        dead.awaitCount(1, t(20_000)).assertStaysAt(1, t(300));
        Message got = dead.messages().get(0);
        assertThat(got.bodyAsString()).isEqualTo("poison-pill");
        assertThat(got.id()).isEqualTo(poison.id());
        assertThat(got.header("x-origin")).isEqualTo("kit");
        assertThat(got.header(Headers.DEAD_LETTER_REASON)).contains("cannot digest poison-pill");
        assertThat(got.header(Headers.DEAD_LETTER_TOPIC)).isEqualTo(topic);
        assertThat(attempts.get()).isEqualTo(2);
    }
}
