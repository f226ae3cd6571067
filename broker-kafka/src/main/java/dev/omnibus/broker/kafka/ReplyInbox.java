package dev.omnibus.broker.kafka;

import dev.omnibus.broker.Headers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.support.PendingRequests;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's reply topic, read from its end by a consumer of its own (no group): replies complete
 * the {@link PendingRequests} by correlation id. One topic per node, never one per request.
 */
final class ReplyInbox implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplyInbox.class);

    final String topic;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final PendingRequests pending;
    private final Thread thread;
    private volatile boolean running = true;

    /** Assigns the topic's partition and finds its end, so that a reply sent from now on arrives. */
    ReplyInbox(String topic, KafkaConsumer<byte[], byte[]> consumer, PendingRequests pending, Duration timeout) {
        this.topic = topic;
        this.consumer = consumer;
        this.pending = pending;
        TopicPartition p = new TopicPartition(topic, 0);
        consumer.assign(List.of(p));
        consumer.seekToEnd(List.of(p));
        consumer.position(p, timeout);
        this.thread = new Thread(this, "omnibus-kafka-replies-" + topic);
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void run() {
        while (running) {
            try {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    Message m = KafkaWire.message(r);
                    pending.complete(m.header(Headers.CORRELATION_ID), m);
                }
            } catch (WakeupException e) {
                // closing
            } catch (RuntimeException e) {
                if (running) {
                    LOG.warn("Reading replies from '{}': {}; retrying", topic, e.toString());
                }
            }
        }
        try {
            consumer.close(Duration.ofSeconds(2));
        } catch (RuntimeException e) {
            LOG.debug("Closing the reply consumer: {}", e.toString());
        }
    }

    void close(Duration timeout) {
        running = false;
        consumer.wakeup();
        try {
            thread.join(Math.max(1, timeout.toMillis()) + 2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
