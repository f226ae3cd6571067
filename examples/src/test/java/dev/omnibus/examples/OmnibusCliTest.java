package dev.omnibus.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omnibus.examples.cli.OmnibusCli;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class OmnibusCliTest extends CapturedStdout {
    private int run(String... args) {
        return OmnibusCli.run(args, outWriter(), errWriter());
    }

    @Test
    @DisplayName("demo tells the whole story on the in-memory broker and exits 0")
    void demo() {
        assertThat(run("demo")).isZero();
        assertThat(out())
                .contains("ok: both subscribers received the order")
                .contains("ok: 9 orders packed")
                .contains("reply: sku-1 costs 19.99 EUR")
                .contains("ok: the poison message reached")
                .contains("price 9.90 -> 7.90")
                .contains("ok: the warehouse saw created, updated and deleted as typed values")
                .contains("Done: every step behaved as promised.");
    }

    @Test
    @DisplayName("providers lists every backend on the classpath with its schemes and capabilities")
    void providers() {
        assertThat(run("providers")).isZero();
        assertThat(out()).contains("memory     schemes=[memory]").contains("nats       schemes=[nats, tls]")
                .contains("rabbitmq   schemes=[amqp, amqps]").contains("QUEUE_GROUPS");
        String memory = out().substring(out().indexOf("memory "), out().indexOf("nats "));
        assertThat(memory).doesNotContain("DURABLE_SUBSCRIPTIONS").doesNotContain("guest");
    }

    @Test
    @DisplayName("providers --verbose adds each backend's declared properties with rule, default and meaning")
    void providersVerbose() {
        assertThat(run("providers", "--verbose")).isZero();
        String nats = out().substring(out().indexOf("nats "), out().indexOf("rabbitmq "));
        assertThat(nats).contains("properties (URL query parameters or BrokerOptions.property):")
                .contains("jetstream = true or false (default `false`)")
                .contains("replicas = a whole number from 1 to 5 (default `1`)")
                .contains("credentials = any text (default none)")
                .contains("maxAge = milliseconds (2000) or an ISO-8601 duration (PT2S); must not be negative");
        assertThat(out().substring(out().indexOf("memory "), out().indexOf("nats ")))
                .contains("overflow = one of block, drop_oldest, drop_newest, fail (default `block`)");
        assertThat(out().substring(out().indexOf("rabbitmq "))).contains("exchange = must be 1 to 127 letters")
                .contains("the topic exchange; also the prefix of every queue name");
        stdout.reset();
        assertThat(run("providers")).isZero();
        assertThat(out()).doesNotContain("jetstream");
    }

    @Test
    @DisplayName("an unknown scheme is one readable line on stderr with exit code 1, no stack trace")
    void unknownScheme() {
        assertThat(run("pub", "--broker", "bogus://user:hunter2@host", "a.b", "x")).isEqualTo(1);
        assertThat(err.toString()).startsWith("omnibus: no broker provider accepts URL")
                .doesNotContain("hunter2").doesNotContain("\tat ");
        assertThat(err.toString().strip().lines()).hasSize(1);
    }

    @Test
    @DisplayName("a bad topic is refused with exit code 1; bad usage with exit code 2")
    void badInput() {
        assertThat(run("pub", "a b", "x")).isEqualTo(1);
        assertThat(err.toString()).contains("whitespace");
        assertThat(run("pub")).isEqualTo(2);
    }

    @Test
    @DisplayName("pub to the in-memory broker confirms with the message id")
    void publish() {
        assertThat(run("pub", "orders.created", "{\"id\":42}", "-H", "content-type=application/json")).isZero();
        assertThat(out()).containsPattern("published [0-9a-f]{32} to orders.created");
    }

    @Test
    @DisplayName("request without a responder fails fast with exit code 3")
    void requestWithoutResponder() {
        assertThat(run("request", "prices.quote", "sku-1", "--timeout", "PT1S")).isEqualTo(3);
        assertThat(err.toString()).contains("no responders");
    }
}
