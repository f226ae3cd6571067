package dev.omnibus.broker.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.tck.Inbox;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class KafkaSmokeTest {
    @Test
    void publishSubscribe() throws Exception {
        Broker a = Brokers.create(KafkaTestSupport.options("smoke-a"));
        a.connect();
        try {
            String t = "smoke.t" + System.nanoTime();
            Inbox in = new Inbox();
            a.subscribe(t, in);
            Inbox g = new Inbox();
            a.subscribe(t, g, SubscribeOptions.builder().queue("q").build());
            a.publish(t, Message.of("hello"));
            in.awaitCount(1, Duration.ofSeconds(10));
            g.awaitCount(1, Duration.ofSeconds(20));
            assertThat(a.request(t + ".rr", Message.of("x"), Duration.ofMillis(500)).handle((m, e) -> e).get()).isNotNull();
        } finally {
            a.disconnect();
        }
    }
}
