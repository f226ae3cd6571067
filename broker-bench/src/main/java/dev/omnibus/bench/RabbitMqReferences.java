package dev.omnibus.bench;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.omnibus.broker.Message;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Raw amqp-client doing what the RabbitMQ backend does, with the same settings: a topic exchange,
 * persistent messages, publisher confirms (each awaited, or a window of outstanding ones tracked by
 * a ConfirmListener), a consumer with the same prefetch acking each message manually, and for
 * request/reply a reply queue with correlation ids, once as bare as amqp-client allows and once
 * with the backend's guarantees (see {@link RequestReply}). Publish → consume goes through a non-durable
 * auto-delete queue (as the backend's node queue) or, given a queue type, through a durable queue of
 * that {@code x-queue-type} (as the backend's durable group queue), deleted on close.
 */
final class RabbitMqReferences {
    private RabbitMqReferences() {
    }

    static Connection connect(String url, String name) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(url);
        return f.newConnection(name);
    }

    /** Deletes {@code queue} on a channel of its own (so a failed channel elsewhere does not matter). */
    static void deleteQueue(Connection connection, String queue) throws Exception {
        try (Channel c = connection.createChannel()) {
            c.queueDelete(queue);
        }
    }

    /** Publish → consume through a topic exchange and a server-side queue. */
    static final class PubSub implements Workload {
        private final String url;
        private final int window;
        private final int prefetch;
        private final String queueType;
        private final String exchange = "bench-raw";
        private final String key = "bench.raw." + Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffL, 36);
        private Connection pubConn;
        private Connection subConn;
        private Channel pub;
        private final ConcurrentNavigableMap<Long, Boolean> outstanding = new ConcurrentSkipListMap<>();
        private Semaphore permits;
        private volatile Probe probe;
        private int bodySize;

        /** @param window 0: wait for each confirm; else at most this many unconfirmed */
        PubSub(String url, int window, int prefetch) {
            this(url, window, prefetch, null);
        }

        /** @param queueType null: a non-durable auto-delete queue; else a durable queue with this {@code x-queue-type} */
        PubSub(String url, int window, int prefetch, String queueType) {
            this.url = url;
            this.window = window;
            this.prefetch = prefetch;
            this.queueType = queueType;
        }

        @Override
        public String name() {
            return queueType == null ? "raw amqp-client" : "raw amqp-client " + queueType;
        }

        @Override
        public void setUp(int bodySize) throws Exception {
            this.bodySize = bodySize;
            pubConn = connect(url, "bench-raw-pub");
            subConn = connect(url, "bench-raw-sub");
            pub = pubConn.createChannel();
            pub.exchangeDeclare(exchange, BuiltinExchangeType.TOPIC, true);
            pub.confirmSelect();
            permits = new Semaphore(Math.max(window, 1));
            pub.addConfirmListener((seq, multiple) -> release(seq, multiple), (seq, multiple) -> release(seq, multiple));
            Channel sub = subConn.createChannel();
            String queue = queueType == null ? sub.queueDeclare(key, false, false, true, null).getQueue()
                    : sub.queueDeclare(key, true, false, false, Map.of("x-queue-type", queueType)).getQueue();
            sub.queueBind(queue, exchange, key);
            sub.basicQos(prefetch);
            sub.basicConsume(queue, false, new DefaultConsumer(sub) {
                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) throws IOException {
                    probe.delivered(body);
                    getChannel().basicAck(envelope.getDeliveryTag(), false);
                }
            });
        }

        private void release(long seq, boolean multiple) {
            if (multiple) {
                ConcurrentNavigableMap<Long, Boolean> head = outstanding.headMap(seq, true);
                int n = head.size();
                head.clear();
                permits.release(n);
            } else if (outstanding.remove(seq) != null) {
                permits.release();
            }
        }

        @Override
        public void run(int count, Probe probe) throws Exception {
            this.probe = probe;
            AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().deliveryMode(2).build();
            for (int i = 0; i < count; i++) {
                if (window == 0) {
                    pub.basicPublish(exchange, key, props, Probe.stampedBody(bodySize));
                    pub.waitForConfirmsOrDie(30_000);
                } else {
                    permits.acquire();
                    outstanding.put(pub.getNextPublishSeqNo(), Boolean.TRUE);
                    pub.basicPublish(exchange, key, props, Probe.stampedBody(bodySize));
                }
            }
            if (window > 0) {
                permits.acquire(window);
                permits.release(window);
            }
        }

        @Override
        public void close() throws Exception {
            subConn.close();
            if (queueType != null) {
                deleteQueue(pubConn, key);
            }
            pubConn.close();
        }
    }

    /**
     * Sequential request/reply round trips: a responder echoes to the caller's reply queue. Plain,
     * a request goes unconfirmed through the default exchange straight to the responder's queue,
     * the least amqp-client lets one do. With {@code guarantees}, each message does what the
     * backend's does: the request goes through the topic exchange, mandatory (a request nothing
     * takes comes back at once), persistent and confirmed (a refused one fails its caller), with a
     * message id; the reply is mandatory and persistent, with its own id. The two split the gap to
     * the backend into what its promises cost on the wire and what the library costs on top.
     */
    static final class RequestReply implements Workload {
        private final String url;
        private final boolean guarantees;
        private final String exchange = "bench-raw";
        private final String queue = "bench-raw-rpc-" + Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffL, 36);
        private final Map<String, CompletableFuture<byte[]>> pending = new ConcurrentHashMap<>();
        private final Map<Long, String> unconfirmed = new ConcurrentHashMap<>();
        private final AtomicLong ids = new AtomicLong();
        private Connection clientConn;
        private Connection serverConn;
        private Channel client;
        private String replyQueue;
        private int bodySize;

        RequestReply(String url, boolean guarantees) {
            this.url = url;
            this.guarantees = guarantees;
        }

        @Override
        public String name() {
            return guarantees ? "raw amqp-client, confirmed + mandatory" : "raw amqp-client";
        }

        @Override
        public void setUp(int bodySize) throws Exception {
            this.bodySize = bodySize;
            serverConn = connect(url, "bench-raw-rpc-server");
            clientConn = connect(url, "bench-raw-rpc-client");
            Channel server = serverConn.createChannel();
            server.queueDeclare(queue, false, false, true, null);
            if (guarantees) {
                server.exchangeDeclare(exchange, BuiltinExchangeType.TOPIC, true);
                server.queueBind(queue, exchange, queue);
            }
            server.basicConsume(queue, false, new DefaultConsumer(server) {
                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) throws IOException {
                    AMQP.BasicProperties.Builder reply = new AMQP.BasicProperties.Builder().correlationId(props.getCorrelationId());
                    if (guarantees) {
                        reply.messageId(Message.newId()).deliveryMode(2);
                    }
                    getChannel().basicPublish("", props.getReplyTo(), guarantees, reply.build(), body);
                    getChannel().basicAck(envelope.getDeliveryTag(), false);
                }
            });
            client = clientConn.createChannel();
            if (guarantees) {
                client.confirmSelect();
                client.addConfirmListener((seq, multiple) -> confirmed(seq, multiple, false),
                        (seq, multiple) -> confirmed(seq, multiple, true));
                client.addReturnListener(r -> fail(r.getProperties().getCorrelationId(), "returned: " + r.getReplyText()));
            }
            replyQueue = client.queueDeclare().getQueue();
            client.basicConsume(replyQueue, true, new DefaultConsumer(client) {
                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
                    CompletableFuture<byte[]> f = pending.remove(props.getCorrelationId());
                    if (f != null) {
                        f.complete(body);
                    }
                }
            });
        }

        /** A confirm (or nack) of {@code seq}, and with {@code multiple} of every earlier one: a nacked request fails. */
        private void confirmed(long seq, boolean multiple, boolean nack) {
            for (Long s : multiple ? List.copyOf(unconfirmed.keySet()) : List.of(seq)) {
                if (s <= seq) {
                    String id = unconfirmed.remove(s);
                    if (nack && id != null) {
                        fail(id, "nacked");
                    }
                }
            }
        }

        private void fail(String correlationId, String why) {
            CompletableFuture<byte[]> f = correlationId == null ? null : pending.remove(correlationId);
            if (f != null) {
                f.completeExceptionally(new IOException("request " + correlationId + " " + why));
            }
        }

        @Override
        public void run(int count, Probe probe) throws Exception {
            for (int i = 0; i < count; i++) {
                String id = Long.toString(ids.incrementAndGet());
                CompletableFuture<byte[]> f = new CompletableFuture<>();
                pending.put(id, f);
                if (guarantees) {
                    unconfirmed.put(client.getNextPublishSeqNo(), id);
                    client.basicPublish(exchange, queue, true, new AMQP.BasicProperties.Builder().correlationId(id).replyTo(replyQueue)
                            .messageId(Message.newId()).deliveryMode(2).build(), Probe.stampedBody(bodySize));
                } else {
                    client.basicPublish("", queue, new AMQP.BasicProperties.Builder().correlationId(id).replyTo(replyQueue).build(),
                            Probe.stampedBody(bodySize));
                }
                probe.delivered(f.get(10, TimeUnit.SECONDS));
            }
        }

        @Override
        public void close() throws Exception {
            clientConn.close();
            serverConn.close();
        }
    }
}
