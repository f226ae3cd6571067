package dev.omnibus.bench;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/** Sequential Omnibus request/reply round trips between two broker instances: a responder echoes. */
final class OmnibusRequestReply implements Workload {
    private final String url;
    private final String topic = "bench.rpc" + Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffL, 36);
    private Broker client;
    private Broker server;
    private int bodySize;

    OmnibusRequestReply(String url) {
        this.url = url;
    }

    @Override
    public String name() {
        return "omnibus";
    }

    @Override
    public void setUp(int bodySize) {
        this.bodySize = bodySize;
        server = Brokers.create(BrokerOptions.builder().url(url).nodeId("bench-rpc-server-" + topic.substring(9)).build());
        client = Brokers.create(BrokerOptions.builder().url(url).nodeId("bench-rpc-client-" + topic.substring(9)).build());
        server.connect();
        client.connect();
        server.subscribe(topic, e -> e.reply(e.message()));
    }

    @Override
    public void run(int count, Probe probe) throws Exception {
        for (int i = 0; i < count; i++) {
            Message reply = client.request(topic, Message.of(Probe.stampedBody(bodySize)), Duration.ofSeconds(10))
                    .get(10, TimeUnit.SECONDS);
            probe.delivered(reply.body());
        }
    }

    /** The random part of this workload's topic and node ids. */
    String token() {
        return topic.substring(9);
    }

    @Override
    public void close() {
        client.disconnect();
        server.disconnect();
    }
}
