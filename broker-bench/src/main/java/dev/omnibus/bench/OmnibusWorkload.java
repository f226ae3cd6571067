package dev.omnibus.bench;

import dev.omnibus.broker.Broker;
import dev.omnibus.broker.BrokerOptions;
import dev.omnibus.broker.Brokers;
import dev.omnibus.broker.Message;
import dev.omnibus.broker.SubscribeOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Omnibus on any backend: one publishing broker, {@code subscribers} subscriptions (broadcast, or
 * one queue group) on a second broker instance of the same URL, publishing with {@code publish}
 * (confirmed where the backend confirms) or {@code publishAsync} in windows.
 *
 * <p>{@link #asBaseline()} turns it into a row the scenario's Omnibus row is compared with (Omnibus
 * on a classic queue beside Omnibus on a quorum queue, say), so its ratio is the cost of the setting.
 */
public class OmnibusWorkload implements Workload {
    private final String name;
    private final String url;
    private final int subscribers;
    private final SubscribeOptions options;
    private final int asyncWindow;
    private final List<Broker> brokers = new ArrayList<>();
    private final String token = Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffL, 36);
    private final String topic;
    private boolean baseline;
    private Broker publisher;
    private int bodySize;
    private volatile Probe probe;

    /**
     * @param asyncWindow 0 to publish synchronously; else publishAsync with at most this many outstanding
     */
    public OmnibusWorkload(String name, String url, int subscribers, SubscribeOptions options, int asyncWindow) {
        this(name, url, subscribers, options, asyncWindow, "bench");
    }

    /**
     * @param topicRoot the first token of the topic ({@code bench} by default); two workloads of one
     *     scenario on different JetStream streams need different ones (streams' subjects cannot overlap)
     */
    public OmnibusWorkload(String name, String url, int subscribers, SubscribeOptions options, int asyncWindow, String topicRoot) {
        this.topic = topicRoot + ".t" + token;
        this.name = name;
        this.url = url;
        this.subscribers = subscribers;
        this.options = options;
        this.asyncWindow = asyncWindow;
    }

    @Override
    public String name() {
        return name;
    }

    /** Marks this workload as a baseline of its scenario: shown with the ratio Omnibus / this, like a reference. */
    public OmnibusWorkload asBaseline() {
        baseline = true;
        return this;
    }

    @Override
    public boolean isOmnibus() {
        return !baseline;
    }

    /** The topic published and subscribed to. */
    public String topic() {
        return topic;
    }

    @Override
    public int fanout() {
        return options.queue() == null ? subscribers : 1;
    }

    @Override
    public void setUp(int bodySize) {
        this.bodySize = bodySize;
        publisher = connect("bench-pub");
        Broker consumer = url.startsWith("memory:") ? publisher : connect("bench-sub");
        for (int i = 0; i < subscribers; i++) {
            consumer.subscribe(topic, e -> probe.delivered(e.message().body()), options);
        }
    }

    private Broker connect(String node) {
        Broker b = Brokers.create(BrokerOptions.builder().url(url).nodeId(node + "-" + token).build());
        brokers.add(b);
        b.connect();
        return b;
    }

    @Override
    public void run(int count, Probe probe) throws Exception {
        this.probe = probe;
        if (asyncWindow == 0) {
            for (int i = 0; i < count; i++) {
                publisher.publish(topic, Message.of(Probe.stampedBody(bodySize)));
            }
            return;
        }
        java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(asyncWindow);
        for (int i = 0; i < count; i++) {
            window.acquire();
            publisher.publishAsync(topic, Message.of(Probe.stampedBody(bodySize))).whenComplete((v, e) -> window.release());
        }
        window.acquire(asyncWindow);
        window.release(asyncWindow);
    }

    /** The random part of this workload's topic and node ids. */
    public String token() {
        return token;
    }

    @Override
    public void close() {
        for (Broker b : brokers) {
            b.disconnect();
        }
    }
}
