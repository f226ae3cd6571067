package dev.omnibus.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.tck.BrokerServers;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pushes many messages through each backend with 4 publishers and a queue group of 4 subscribers
 * (4 broker instances each side) and checks that nothing is lost or duplicated, that the heap comes
 * back near where it started and that no broker thread is left behind. CI runs 50,000 messages per
 * backend; {@code mvn -Psoak verify -pl broker-bench} runs 1,000,000.
 */
class SoakTest {
    private static final int MESSAGES = Integer.getInteger("omnibus.soak.messages", 50_000);

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"memory", "nats", "nats-jetstream", "rabbitmq"})
    void soak(String backend) throws Exception {
        String run = Long.toString(System.nanoTime() % 10_000_000, 36);
        String stream = "soak-" + run;
        String url = switch (backend) {
            case "memory" -> "memory://soak-" + run;
            case "nats" -> BrokerServers.natsUrl();
            case "nats-jetstream" -> BrokerServers.natsUrl() + "?jetstream=true&stream=" + stream;
            default -> BrokerServers.rabbitMqUrl();
        };
        Set<String> threadsBefore = brokerThreads();
        long heapBefore = usedHeapAfterGc();
        String topic = "soak" + run + ".items";
        List<Broker> brokers = new ArrayList<>();
        ConcurrentHashMap<String, Boolean> seen = new ConcurrentHashMap<>();
        AtomicLong duplicates = new AtomicLong();
        AtomicLong received = new AtomicLong();
        try {
            for (int i = 0; i < 8; i++) {
                Broker b = Brokers.create(BrokerOptions.builder().url(url).nodeId("soak-" + run + "-" + i).build());
                b.connect();
                brokers.add(b);
            }
            for (int i = 4; i < 8; i++) {
                brokers.get(i).subscribe(topic, e -> {
                    received.incrementAndGet();
                    if (seen.putIfAbsent(e.message().bodyAsString(), Boolean.TRUE) != null) {
                        duplicates.incrementAndGet();
                    }
                }, SubscribeOptions.builder().queue("soak").prefetch(500).bufferSize(4096).build());
            }
            ExecutorService publishers = Executors.newFixedThreadPool(4);
            List<CompletableFuture<Void>> done = new ArrayList<>();
            int perPublisher = MESSAGES / 4;
            for (int p = 0; p < 4; p++) {
                Broker pub = brokers.get(p);
                int publisher = p;
                done.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < perPublisher; i++) {
                        pub.publish(topic, Message.of(publisher + "-" + i));
                    }
                }, publishers));
            }
            CompletableFuture.allOf(done.toArray(new CompletableFuture[0])).get(10, TimeUnit.MINUTES);
            publishers.shutdown();
            long sent = 4L * perPublisher;
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(100)).until(() -> seen.size() >= sent);
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(30)).until(() -> received.get() == sent + duplicates.get());
            System.out.printf("soak %s: sent %d, received %d, unique %d, duplicated %d, lost %d%n", backend, sent,
                    received.get(), seen.size(), duplicates.get(), sent - seen.size());
            assertThat(seen.size()).as("unique messages received").isEqualTo(sent);
            assertThat(duplicates.get()).as("duplicates without faults").isZero();
        } finally {
            brokers.forEach(Broker::disconnect);
            if (backend.equals("nats-jetstream")) {
                try (Connection c = Nats.connect(BrokerServers.natsUrl())) {
                    c.jetStreamManagement().deleteStream(stream);
                }
            }
        }
        seen.clear();
        long heapAfter = usedHeapAfterGc();
        System.out.printf("soak %s: heap %d MiB before, %d MiB after%n", backend, heapBefore >> 20, heapAfter >> 20);
        assertThat(heapAfter).as("heap back near its start").isLessThan(heapBefore + 64L * 1024 * 1024);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(brokerThreads()).as("threads left behind").isSubsetOf(threadsBefore));
    }

    /** Threads of Omnibus and of the client libraries (jnats, amqp-client), by name. */
    private static Set<String> brokerThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("omnibus") || n.startsWith("nats") || n.startsWith("jnats") || n.startsWith("AMQP")
                        || n.startsWith("pool-"))
                .collect(Collectors.toSet());
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
