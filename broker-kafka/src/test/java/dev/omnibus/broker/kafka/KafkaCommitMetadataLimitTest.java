package dev.omnibus.broker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import dev.omnibus.broker.tck.LocalKafkaServer;
import dev.omnibus.broker.tck.LogCapture;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A cluster whose {@code offset.metadata.max.bytes} is too small for the list of records settled
 * above the committed offset: the group member says so once and goes on committing the offset
 * alone, so its commits still advance.
 */
class KafkaCommitMetadataLimitTest {
    private static LocalKafkaServer server;

    @BeforeAll
    static void start() {
        // room for "omnibus:delivered=40" (20 characters), not for ";settled=1-39" after it
        server = LocalKafkaServer.start(Map.of("offset.metadata.max.bytes", "25"));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aRefusedListIsDroppedWithOneWarningAndTheOffsetStillAdvances() throws Exception {
        String token = Long.toString(System.nanoTime(), 36);
        String topic = "meta.t" + token;
        String group = "g" + token;
        int count = 40;
        Broker broker = Brokers.create(KafkaTestSupport.options(server, "meta-" + token).toBuilder()
                .property("partitions", "1").build());
        CountDownLatch first = new CountDownLatch(1);
        Set<String> handled = ConcurrentHashMap.newKeySet();
        try (LogCapture log = LogCapture.start()) {
            broker.connect();
            // concurrency 8 on one partition: the first record waits while the ones after it settle,
            // so the commit lists them as settled above the offset, which this cluster refuses
            broker.subscribe(topic, e -> {
                if (e.message().bodyAsString().equals("0")) {
                    first.await(60, TimeUnit.SECONDS);
                }
                handled.add(e.message().bodyAsString());
            }, SubscribeOptions.builder().queue(group).concurrency(8).build());
            for (int i = 0; i < count; i++) {
                broker.publish(topic, Message.of(Integer.toString(i)));
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> log.count("Raise offset.metadata.max.bytes") == 1);
            first.countDown();
            await().atMost(Duration.ofSeconds(60)).until(() -> handled.size() == count);
            String groupId = KafkaNames.queueGroup("omnibus", group, topic);
            try (Admin admin = KafkaTestSupport.admin(server)) {
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    OffsetAndMetadata c = admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata()
                            .get(30, TimeUnit.SECONDS).get(new TopicPartition(topic, 0));
                    return c != null && c.offset() == count;
                });
            }
            assertThat(log.count("Raise offset.metadata.max.bytes")).isEqualTo(1);
        } finally {
            first.countDown();
            broker.disconnect();
        }
    }
}
