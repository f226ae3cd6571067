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
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Raw jnats doing what the NATS backend does, with the same connection setup (jnats defaults):
 * core publish to a dispatcher subscription; request/reply on the shared inbox; JetStream async
 * publish into a file stream consumed by a durable pull consumer with explicit acks.
 */
final class NatsReferences {
    private NatsReferences() {
    }

    /** A fresh {@code id} header, as Omnibus sends on every message. */
    private static io.nats.client.impl.Headers idHeader() {
        io.nats.client.impl.Headers h = new io.nats.client.impl.Headers();
        h.put("id", dev.omnibus.broker.Message.newId());
        return h;
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
                    pub.publish(subject, idHeader(), Probe.stampedBody(bodySize));
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

    /**
     * Sequential request/reply round trips; a dispatcher echoes. With {@code headers}, each message
     * carries the headers Omnibus's does: the request an {@code id}, the reply its own {@code id}
     * and the request's as {@code correlation-id}.
     */
    static final class RequestReply implements Workload {
        private final String url;
        private final boolean headers;
        private final String subject = "bench.rawrpc." + suffix();
        private Connection client;
        private Connection server;
        private int bodySize;

        RequestReply(String url, boolean headers) {
            this.url = url;
            this.headers = headers;
        }

        @Override
        public String name() {
            return headers ? "raw jnats + headers" : "raw jnats";
        }

        @Override
        public void setUp(int bodySize) throws Exception {
            this.bodySize = bodySize;
            server = Nats.connect(url);
            client = Nats.connect(url);
            server.createDispatcher(m -> {
                if (headers) {
                    io.nats.client.impl.Headers h = idHeader();
                    h.put("correlation-id", m.getHeaders().getFirst("id"));
                    server.publish(m.getReplyTo(), h, m.getData());
                } else {
                    server.publish(m.getReplyTo(), m.getData());
                }
            }).subscribe(subject);
            server.flush(Duration.ofSeconds(5));
        }

        @Override
        public void run(int count, Probe probe) throws Exception {
            for (int i = 0; i < count; i++) {
                io.nats.client.Message reply;
                if (headers) {
                    reply = client.request(subject, idHeader(), Probe.stampedBody(bodySize)).get(10, TimeUnit.SECONDS);
                } else {
                    reply = client.request(subject, Probe.stampedBody(bodySize)).get(10, TimeUnit.SECONDS);
                }
                probe.delivered(reply.getData());
            }
        }

        @Override
        public void close() throws Exception {
            client.close();
            server.close();
        }
    }

    /**
     * Adds a stream as the backend creates its own (file storage, {@code limits} retention, 7 days)
     * with {@code replicas}; returns the name of the server leading it, or null when not clustered.
     */
    static String addStream(JetStreamManagement jsm, String stream, List<String> subjects, int replicas) throws Exception {
        StreamInfo info = jsm.addStream(StreamConfiguration.builder().name(stream).subjects(subjects).storageType(StorageType.File)
                .retentionPolicy(RetentionPolicy.Limits).maxAge(Duration.ofDays(7)).replicas(replicas).build());
        if (info.getClusterInfo() == null || info.getClusterInfo().getLeader() == null) {
            info = jsm.getStreamInfo(stream); // the create answer normally names the leader already
        }
        return info.getClusterInfo() == null ? null : info.getClusterInfo().getLeader();
    }

    /** JetStream: async publish with a window of unacknowledged publishes → durable pull consumer, explicit ack. */
    static final class JetStreamPubSub implements Workload {
        private final String url;
        private final int window;
        private final int replicas;
        private final UnaryOperator<String> serverUrl;
        private final String stream = "bench-raw-" + suffix();
        private final String subject = stream.replace('-', '_') + ".t";
        private Connection pub;
        private Connection sub;
        private JetStream js;
        private MessageConsumer consumer;
        private volatile Probe probe;
        private int bodySize;

        JetStreamPubSub(String url, int window) {
            this(url, window, 1, leader -> url);
        }

        /**
         * On a cluster: the stream has {@code replicas}, and both connections go to the server leading
         * it, {@code serverUrl.apply(leader name)} (the leader's name is null when not clustered).
         */
        JetStreamPubSub(String url, int window, int replicas, UnaryOperator<String> serverUrl) {
            this.url = url;
            this.window = window;
            this.replicas = replicas;
            this.serverUrl = serverUrl;
        }

        @Override
        public String name() {
            return replicas == 1 ? "raw jnats JetStream" : "raw jnats JetStream R" + replicas;
        }

        @Override
        public void setUp(int bodySize) throws Exception {
            this.bodySize = bodySize;
            String leaderUrl;
            try (Connection admin = Nats.connect(url)) {
                leaderUrl = serverUrl.apply(addStream(admin.jetStreamManagement(), stream, List.of(subject), replicas));
            }
            pub = Nats.connect(leaderUrl);
            sub = Nats.connect(leaderUrl);
            JetStreamManagement jsm = pub.jetStreamManagement();
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
