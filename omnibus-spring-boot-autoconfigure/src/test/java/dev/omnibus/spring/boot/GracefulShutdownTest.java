package dev.omnibus.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Message;
import dev.omnibus.spring.boot.listener.OmnibusListener;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** Stopping the application lets a running handler finish, runs no handler after stop, and loses nothing. */
class GracefulShutdownTest {
    /** Shared between the listener beans and the test; the tests of this class run one at a time. */
    static volatile CountDownLatch release;
    static volatile CountDownLatch entered;
    static final Set<String> handled = ConcurrentHashMap.newKeySet();
    static final AtomicInteger completed = new AtomicInteger();
    static final AtomicInteger afterStop = new AtomicInteger();
    static final AtomicBoolean stopped = new AtomicBoolean();

    @BeforeEach
    void reset() {
        release = new CountDownLatch(1);
        entered = new CountDownLatch(1);
        handled.clear();
        completed.set(0);
        afterStop.set(0);
        stopped.set(false);
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
    }

    static void slowHandle(Message message) throws InterruptedException {
        if (stopped.get()) {
            afterStop.incrementAndGet();
        }
        handled.add(message.bodyAsString());
        entered.countDown();
        release.await(30, TimeUnit.SECONDS);
        completed.incrementAndGet();
    }

    static class MemoryListener {
        @OmnibusListener(topic = "${test.topic}")
        void handle(Message message) throws InterruptedException {
            slowHandle(message);
        }
    }

    static class DurableListener {
        @OmnibusListener(topic = "${test.topic}", queue = "${test.queue}", durable = true)
        void handle(Message message) throws InterruptedException {
            slowHandle(message);
        }
    }

    private static ConfigurableApplicationContext start(Class<?> listener, String url, String topic, String queue) {
        return new SpringApplicationBuilder(App.class, listener).web(WebApplicationType.NONE)
                .properties("omnibus.broker.url=" + url, "test.topic=" + topic, "test.queue=" + queue,
                        "omnibus.broker.shutdown-timeout=20s")
                .run();
    }

    /** Closes {@code ctx} on another thread, checks it waits for the handler, releases it, and waits for the close. */
    private static void closeWithHandlerInFlight(ConfigurableApplicationContext ctx) throws Exception {
        assertThat(entered.await(10, TimeUnit.SECONDS)).as("handler running").isTrue();
        Thread closer = new Thread(() -> {
            ctx.close();
            stopped.set(true);
        }, "test-close");
        closer.start();
        // the close is under way: the broker lifecycle has not run yet because the listener is still busy
        Broker broker = ctx.getBean(Broker.class);
        await().atMost(Duration.ofSeconds(10)).until(() -> ctx.isActive() && closer.isAlive());
        assertThat(broker.isConnected()).as("broker stays connected while a handler runs").isTrue();
        assertThat(completed).hasValue(0);
        release.countDown();
        closer.join(30_000);
        assertThat(closer.isAlive()).isFalse();
        assertThat(completed).as("the running handler finished").hasValue(1);
        assertThat(broker.isConnected()).isFalse();
    }

    @Test
    void aRunningHandlerFinishesBeforeTheBrokerDisconnects() throws Exception {
        ConfigurableApplicationContext ctx = start(MemoryListener.class, "memory:", "shutdown.memory", "unused");
        ctx.getBean(Broker.class).publish("shutdown.memory", Message.of("m-1"));
        closeWithHandlerInFlight(ctx);
        assertThat(handled).containsExactly("m-1");
        assertThat(afterStop).hasValue(0);
    }

    @Test
    void aDurableRabbitMqQueueKeepsWhatWasNotHandled() throws Exception {
        Assumptions.assumeTrue(listening(5672), "RabbitMQ on 127.0.0.1:5672");
        String id = UUID.randomUUID().toString().substring(0, 8);
        String topic = "spring.shutdown." + id;
        String queue = "spring-shutdown-" + id;
        String url = "amqp://guest:guest@127.0.0.1:5672";
        try {
            ConfigurableApplicationContext first = start(DurableListener.class, url, topic, queue);
            Broker broker = first.getBean(Broker.class);
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                sent.add("r-" + i);
                broker.publish(topic, Message.of("r-" + i));
            }
            closeWithHandlerInFlight(first);
            assertThat(afterStop).as("no handler after stop").hasValue(0);
            assertThat(handled).hasSize(1);

            release = new CountDownLatch(0);
            ConfigurableApplicationContext second = start(DurableListener.class, url, topic, queue);
            try {
                await().atMost(Duration.ofSeconds(20)).until(() -> handled.containsAll(sent));
            } finally {
                second.close();
            }
            assertThat(handled).containsExactlyInAnyOrderElementsOf(sent);
        } finally {
            deleteQueuesContaining(id);
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteQueuesContaining(String token) throws Exception {
        Process p = new ProcessBuilder("rabbitmqctl", "list_queues", "name", "-q", "--no-table-headers").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        ConnectionFactory f = new ConnectionFactory();
        f.setUri("amqp://guest:guest@127.0.0.1:5672");
        try (Connection c = f.newConnection("omnibus-spring-test-cleanup"); Channel ch = c.createChannel()) {
            for (String line : out.split("\n")) {
                String q = line.trim();
                if (q.contains(token)) {
                    ch.queueDelete(q);
                }
            }
        }
    }
}
