package dev.omnibus.broker.nats;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.Subscription;
import io.nats.client.ConsumeOptions;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.MessageConsumer;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Throwaway publish→receive throughput probe: Omnibus beside raw jnats with the same connection
 * setup, in one JVM run. Not a test (no Test suffix); run with main(). Messages carry an id and a
 * content-type header in both cases, as Omnibus messages do.
 */
@SuppressWarnings("try")
public final class NatsThroughputProbe {
    private static final String URL = System.getenv().getOrDefault("OMNIBUS_NATS_URL", "nats://127.0.0.1:4222");

    public static void main(String[] args) throws Exception {
        int coreCount = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int jsCount = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        for (int round = 0; round < 2; round++) {
            boolean report = round == 1; // round 0 warms up the JIT
            for (int size : new int[] {128, 1024}) {
                int c = report ? coreCount : coreCount / 10;
                int j = report ? jsCount : jsCount / 10;
                double rawCore = rawCore(size, c);
                double omniCore = omnibus(size, c, false);
                double rawJs = rawJetStream(size, j);
                double omniJs = omnibus(size, j, true);
                if (report) {
                    System.out.printf("core      %5d B  raw jnats %9.0f msg/s  omnibus %9.0f msg/s  ratio %.2f  (n=%d)%n", size, rawCore, omniCore, omniCore / rawCore, c);
                    System.out.printf("jetstream %5d B  raw jnats %9.0f msg/s  omnibus %9.0f msg/s  ratio %.2f  (n=%d)%n", size, rawJs, omniJs, omniJs / rawJs, j);
                }
            }
        }
    }

    private static Options options() {
        return new Options.Builder().server(URL).maxReconnects(-1).reportNoResponders().build();
    }

    private static NatsMessage message(String subject, byte[] body) {
        Headers h = new Headers().put("id", Message.newId()).put("content-type", "application/octet-stream");
        return NatsMessage.builder().subject(subject).headers(h).data(body).build();
    }

    private static double rawCore(int size, int count) throws Exception {
        String subject = "probe.raw." + Message.newId();
        byte[] body = new byte[size];
        try (Connection c = Nats.connect(options())) {
            CountDownLatch done = new CountDownLatch(count);
            Dispatcher d = c.createDispatcher(m -> done.countDown());
            d.setPendingLimits(-1, -1);
            d.subscribe(subject);
            c.flush(Duration.ofSeconds(5));
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                c.publish(message(subject, body));
            }
            done.await(120, TimeUnit.SECONDS);
            return rate(count - done.getCount(), start);
        }
    }

    private static double rawJetStream(int size, int count) throws Exception {
        String stream = "probe_raw_" + Message.newId().substring(0, 8);
        String subject = stream + ".x";
        byte[] body = new byte[size];
        try (Connection c = Nats.connect(options())) {
            JetStreamManagement jsm = c.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name(stream).subjects(stream + ".>").retentionPolicy(RetentionPolicy.Limits).maxAge(Duration.ofDays(7)).build());
            try {
                String consumer = jsm.addOrUpdateConsumer(stream, ConsumerConfiguration.builder().ackPolicy(AckPolicy.Explicit)
                        .deliverPolicy(DeliverPolicy.New).filterSubject(subject).inactiveThreshold(Duration.ofMinutes(1)).build()).getName();
                CountDownLatch done = new CountDownLatch(count);
                Dispatcher d = c.createDispatcher();
                MessageConsumer mc = c.getConsumerContext(stream, consumer).consume(ConsumeOptions.builder().batchSize(256).build(), d, m -> {
                    m.ack();
                    done.countDown();
                });
                JetStream js = c.jetStream();
                long start = System.nanoTime();
                for (int i = 0; i < count; i++) {
                    js.publish(message(subject, body));
                }
                done.await(120, TimeUnit.SECONDS);
                double r = rate(count - done.getCount(), start);
                mc.close();
                return r;
            } finally {
                jsm.deleteStream(stream);
            }
        }
    }

    private static double omnibus(int size, int count, boolean jetStream) throws Exception {
        String stream = "probe_omni_" + Message.newId().substring(0, 8);
        String url = URL + (jetStream ? "?jetstream=true&stream=" + stream : "");
        String topic = "probe.omni." + Message.newId();
        byte[] body = new byte[size];
        try (Broker b = Brokers.create(url)) {
            b.connect();
            CountDownLatch done = new CountDownLatch(count);
            Subscription s = b.subscribe(topic, e -> done.countDown());
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                b.publish(topic, Message.builder().contentType("application/octet-stream").body(body).build());
            }
            done.await(120, TimeUnit.SECONDS);
            double r = rate(count - done.getCount(), start);
            s.unsubscribe();
            return r;
        } finally {
            if (jetStream) {
                try (Connection c = Nats.connect(options())) {
                    c.jetStreamManagement().deleteStream(stream);
                }
            }
        }
    }

    private static double rate(long received, long startNanos) {
        return received / ((System.nanoTime() - startNanos) / 1e9);
    }
}
