package dev.omnibus.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.ConnectionException;
import dev.omnibus.broker.Message;
import dev.omnibus.spring.boot.listener.OmnibusListener;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;

/** A private nats-server that is not running at startup, then started, stopped and started again. */
class BrokerDownAtStartupTest {
    static final List<String> received = new CopyOnWriteArrayList<>();

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
    }

    static class Listener {
        @OmnibusListener(topic = "spring.startup.>")
        void on(Message m) {
            received.add(m.bodyAsString());
        }
    }

    private static SpringApplicationBuilder app(String url, String startup) {
        return new SpringApplicationBuilder(App.class, Listener.class).web(WebApplicationType.NONE)
                .properties("omnibus.broker.url=" + url + "?reconnectWait=PT0.2S", "omnibus.broker.startup=" + startup,
                        "omnibus.broker.startup-retry-interval=200ms", "omnibus.broker.connect-timeout=2s");
    }

    @Test
    void failModeStopsTheStartupWithTheBrokersMessage() throws Exception {
        try (NatsServerProcess server = NatsServerProcess.reserve()) {
            Throwable failure = org.assertj.core.api.Assertions.catchThrowable(() -> app(server.url(), "fail").run());
            assertThat(failure).as("startup fails").isNotNull();
            Throwable c = failure;
            while (c != null && !(c instanceof ConnectionException)) {
                c = c.getCause();
            }
            assertThat(c).as("the broker's ConnectionException in %s", failure).isNotNull();
            assertThat(c.getMessage()).contains(server.url().substring("nats://".length()));
        }
    }

    @Test
    void retryModeStartsDownAttachesListenersOnceConnectedAndFollowsTheServer() throws Exception {
        received.clear();
        try (NatsServerProcess server = NatsServerProcess.reserve()) {
            try (ConfigurableApplicationContext ctx = app(server.url(), "retry").run()) {
                OmnibusHealthIndicator health = ctx.getBean(OmnibusHealthIndicator.class);
                assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
                assertThat(health.health().getDetails()).containsEntry("state", "DISCONNECTED").containsKey("lastError");

                server.start();
                await().atMost(Duration.ofSeconds(20)).until(() -> health.health().getStatus().equals(Status.UP));
                dev.omnibus.broker.Broker broker = ctx.getBean(dev.omnibus.broker.Broker.class);
                // the listener attached after the connection: a publish now reaches it
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                    broker.publish("spring.startup.ping", Message.of("p"));
                    assertThat(received).contains("p");
                });

                server.stop();
                await().atMost(Duration.ofSeconds(20)).until(() -> health.health().getStatus().equals(Status.DOWN));
                assertThat(health.health().getDetails()).containsEntry("state", "RECONNECTING");

                server.start();
                await().atMost(Duration.ofSeconds(30)).until(() -> health.health().getStatus().equals(Status.UP));
                received.clear();
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                    broker.publish("spring.startup.again", Message.of("q"));
                    assertThat(received).contains("q");
                });
            }
        }
    }
}
