package dev.omnibus.bench;

import io.nats.client.Connection;
import io.nats.client.ConsumerContext;
import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.MessageConsumer;
import io.nats.client.Nats;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.RetentionPolicy;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Raw jnats doing what the NATS backend does, with the same connection setup (jnats defaults):
 * core publish to a dispatcher subscription; request/reply on the shared inbox; JetStream async
 * publish into a file stream consumed by a durable pull consumer with explicit acks.
 */
final class NatsReferences {
    private NatsReferences() {
    }

    private static String suffix() {
        return Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffL, 36);
    }

    /** Core NATS publish → subscribe; optionally with an id header per message, as Omnibus sends. */
    static final class CorePubSub implements Workload {
        private final String url;
        private final boolean idHeader;
        private final String subject = "bench.rawcore." + suffix();
        private Connection pub;
        private Connection sub;
        private volatile Probe probe;
        private int bodySize;

        CorePubSub(String url, boolean idHeader) {
            this.url = url;
            this.idHeader = idHeader;
        }

        @Override
        public String name() {
            return idHeader ? "raw jnats + id header" : "raw jnats";
        }

        @Override
        public void setUp(int bodySize) throws Exception {
            this.bodySize = bodySize;
            pub = Nats.connect(url);
            sub = Nats.connect(url);
            Dispatcher d = sub.createDispatcher(m -> probe.delivered(m.getData()));
            d.subscribe(subject);
            sub.flush(Duration.ofSeconds(5));
        }

        @Override
        public void run(int count, Probe probe) {
            this.probe = probe;
            for (int i = 0; i < count; i++) {
                if (idHeader) {
                    io.nats.client.impl.Headers h = new io.nats.client.impl.Headers();
                    h.put("id", dev.omnibus.broker.Message.newId());
                    pub.publish(subject, h, Probe.stampedBody(bodySize));
                } else {
                    pub.publish(subject, Probe.stampedBody(bodySize));
                }
            }
        }

        @Override
        public void close() throws Exception {
            pub.close();
            sub.close();
        }
    }

    /** Sequential request/reply round trips; a dispatcher echoes. */
    static final class RequestReply implements Workload {
        private final String url;
        private final String subject = "bench.rawrpc." + suffix();
        private Connection client;
        private Connection server;
        private int bodySize;

        RequestReply(String url) {
            this.url = url;
        }

        @Override
        public String name() {
            return "raw jnats";
        }

        @Override
        public void setUp(int bodySize) throws Exception {
            this.bodySize = bodySize;
            server = Nats.connect(url);
            client = Nats.connect(url);
            server.createDispatcher(m -> server.publish(m.getReplyTo(), m.getData())).subscribe(subject);
            server.flush(Duration.ofSeconds(5));
        }

        @Override
        public void run(int count, Probe probe) throws Exception {
            for (int i = 0; i < count; i++) {
                probe.delivered(client.request(subject, Probe.stampedBody(bodySize)).get(10, TimeUnit.SECONDS).getData());
            }
        }

        @Override
        public void close() throws Exception {
            client.close();
            server.close();
        }
    }

    /** JetStream: async publish with a window of unacknowledged publishes → durable pull consumer, explicit ack. */
    static final class JetStreamPubSub implements Workload {
        private final String url;
        private final int window;
        private final String stream = "bench-raw-" + suffix();
        private final String subject = stream.replace('-', '_') + ".t";
        private Connection pub;
        private Connection sub;
        private JetStream js;
        private MessageConsumer consumer;
        private volatile Probe probe;
        private int bodySize;

        JetStreamPubSub(String url, int window) {
            this.url = url;
            this.window = window;
        }

        @Override
        public String name() {
            return "raw jnats JetStream";
        }

        @Override
        public void setUp(int bodySize) throws Exception {
            this.bodySize = bodySize;
            pub = Nats.connect(url);
            sub = Nats.connect(url);
            JetStreamManagement jsm = pub.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name(stream).subjects(subject).storageType(StorageType.File)
                    .retentionPolicy(RetentionPolicy.Limits).maxAge(Duration.ofDays(7)).build());
            jsm.addOrUpdateConsumer(stream, ConsumerConfiguration.builder().durable("bench").filterSubject(subject)
                    .ackPolicy(AckPolicy.Explicit).deliverPolicy(DeliverPolicy.New).maxAckPending(10_000).build());
            js = pub.jetStream();
            ConsumerContext cc = sub.getConsumerContext(stream, "bench");
            consumer = cc.consume(m -> {
                probe.delivered(m.getData());
                m.ack();
            });
        }

        @Override
        public void run(int count, Probe probe) throws Exception {
            this.probe = probe;
            Semaphore permits = new Semaphore(window);
            for (int i = 0; i < count; i++) {
                permits.acquire();
                js.publishAsync(subject, Probe.stampedBody(bodySize)).whenComplete((ack, e) -> permits.release());
            }
            permits.acquire(window);
        }

        @Override
        public void close() throws Exception {
            consumer.stop();
            sub.close();
            pub.jetStreamManagement().deleteStream(stream);
            pub.close();
        }
    }
}
