package dev.omnibus.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.tck.BrokerServers;
import dev.omnibus.examples.cli.OmnibusCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** "Publish from one terminal, receive in another": {@code omnibus sub} and {@code omnibus pub} against real servers. */
class CliPubSubTest extends CapturedStdout {
    private static int run(String... args) {
        return OmnibusCli.run(args, new PrintWriter(System.out, true), new PrintWriter(new StringWriter(), true));
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = {"nats", "rabbitmq"})
    void subscriberReceivesWhatThePublisherSends(String backend) {
        String url = backend.equals("nats") ? BrokerServers.natsUrl() : BrokerServers.rabbitMqUrl();
        String topic = "cli.test" + Long.toString(System.nanoTime() % 1_000_000, 36) + ".created";
        CompletableFuture<Integer> sub = CompletableFuture.supplyAsync(() ->
                run("sub", "--broker", url, topic.replace(".created", ".*"), "--count", "1", "--timeout", "PT30S"));
        // the subscriber is another "terminal": publish until it has received one message
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).until(() -> {
            assertThat(run("pub", "--broker", url, topic, "{\"id\":42}", "-H", "tenant=acme")).isZero();
            return sub.isDone();
        });
        assertThat(sub.join()).isZero();
        assertThat(out()).contains("published ").contains(topic + " {")
                .contains("tenant=acme").contains("{\"id\":42}");
    }
}
