package dev.omnibus.broker.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.tck.BrokerServers;
import java.util.Map;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Throwaway measurement, off by default: publish-to-consume throughput of 1 KiB persistent messages,
 * one publisher, one consumer, confirms on, through Omnibus and through raw amqp-client with the
 * same settings (exchange, routing key, persistence, prefetch 1024, manual ack per message), in one
 * JVM. Run: {@code mvn -B test -Dtest=ThroughputComparison -Domnibus.bench=true} and read
 * target/surefire-reports/*ThroughputComparison-output.txt.
 */
@EnabledIfSystemProperty(named = "omnibus.bench", matches = "true")
class ThroughputComparison {
    private static final byte[] BODY = new byte[1024];
    private static final int WINDOW = 1000;

    @Test
    void compare() throws Exception {
        ThreadLocalRandom.current().nextBytes(BODY);
        int syncCount = Integer.getInteger("omnibus.bench.sync", 20_000);
        int asyncCount = Integer.getInteger("omnibus.bench.async", 100_000);
        // warm-up
        raw(2_000, false);
        omnibus(2_000, false);
        raw(5_000, true);
        omnibus(5_000, true);
        for (int round = 1; round <= 2; round++) {
            report("sync  (publish waits for each confirm)", syncCount, raw(syncCount, false), omnibus(syncCount, false));
            report("async (window of " + WINDOW + " unconfirmed)", asyncCount, raw(asyncCount, true), omnibus(asyncCount, true));
        }
    }

    private static void report(String mode, int n, double rawRate, double omnibusRate) {
        System.out.printf("%s, %d x 1 KiB: raw amqp-client %.0f msg/s, Omnibus %.0f msg/s, ratio %.2f%n",
                mode, n, rawRate, omnibusRate, omnibusRate / rawRate);
    }

    private static double omnibus(int n, boolean async) throws Exception {
        String topic = "bench.omnibus." + Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffL, 36);
        Broker pub = Brokers.create(RabbitMqBrokerCompatibilityTest.options("bench-pub"));
        Broker sub = Brokers.create(RabbitMqBrokerCompatibilityTest.options("bench-sub"));
        pub.connect();
        sub.connect();
        try {
            CountDownLatch done = new CountDownLatch(n);
            sub.subscribe(topic, e -> done.countDown());
            Semaphore window = new Semaphore(WINDOW);
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                Message m = Message.of(BODY);
                if (async) {
                    window.acquire();
                    pub.publishAsync(topic, m).whenComplete((v, e) -> window.release());
                } else {
                    pub.publish(topic, m);
                }
            }
            if (!done.await(300, TimeUnit.SECONDS)) {
                throw new AssertionError("omnibus: " + done.getCount() + " not received");
            }
            return n / ((System.nanoTime() - start) / 1e9);
        } finally {
            pub.disconnect();
            sub.disconnect();
        }
    }

    private static double raw(int n, boolean async) throws Exception {
        String topic = "bench.raw." + Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffL, 36);
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(BrokerServers.rabbitMqUrl());
        try (Connection pc = f.newConnection("bench-raw-pub"); Connection cc = f.newConnection("bench-raw-sub")) {
            Channel consumer = cc.createChannel();
            String queue = "bench.raw.queue." + topic;
            consumer.exchangeDeclare("omnibus", "topic", true);
            consumer.queueDeclare(queue, false, false, true, null);
            consumer.queueBind(queue, "omnibus", topic);
            consumer.basicQos(ConnectionSettings.DEFAULT_NODE_PREFETCH);
            CountDownLatch done = new CountDownLatch(n);
            consumer.basicConsume(queue, false, new DefaultConsumer(consumer) {
                @Override
                public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body) throws java.io.IOException {
                    done.countDown();
                    getChannel().basicAck(env.getDeliveryTag(), false);
                }
            });
            Channel ch = pc.createChannel();
            ch.confirmSelect();
            Semaphore window = new Semaphore(WINDOW);
            ConcurrentSkipListMap<Long, Boolean> outstanding = new ConcurrentSkipListMap<>();
            AtomicInteger nacks = new AtomicInteger();
            ch.addConfirmListener(new ConfirmListener() {
                @Override
                public void handleAck(long tag, boolean multiple) {
                    settle(tag, multiple);
                }

                @Override
                public void handleNack(long tag, boolean multiple) {
                    nacks.incrementAndGet();
                    settle(tag, multiple);
                }

                private void settle(long tag, boolean multiple) {
                    ConcurrentNavigableMap<Long, Boolean> done = multiple ? outstanding.headMap(tag, true) : outstanding.subMap(tag, true, tag, true);
                    for (Map.Entry<Long, Boolean> e; (e = done.pollFirstEntry()) != null; ) {
                        window.release();
                    }
                }
            });
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().deliveryMode(2)
                        .messageId(Message.newId()).build();
                if (async) {
                    window.acquire();
                    outstanding.put(ch.getNextPublishSeqNo(), Boolean.TRUE);
                    ch.basicPublish("omnibus", topic, props, BODY);
                } else {
                    ch.basicPublish("omnibus", topic, props, BODY);
                    ch.waitForConfirmsOrDie(10_000);
                }
            }
            if (!done.await(300, TimeUnit.SECONDS)) {
                throw new AssertionError("raw: " + done.getCount() + " not received");
            }
            double rate = n / ((System.nanoTime() - start) / 1e9);
            consumer.queueDelete(queue);
            return rate;
        }
    }
}
