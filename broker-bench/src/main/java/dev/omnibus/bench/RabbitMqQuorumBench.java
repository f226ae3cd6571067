package dev.omnibus.bench;

import com.rabbitmq.client.Connection;
import dev.omnibus.broker.SubscribeOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --backend rabbitmq-quorum}: a durable queue group, whose queue is a quorum queue (the
 * backend's default, {@code queueType=quorum}), beside raw amqp-client on a quorum queue with the same
 * settings (persistent messages, confirms window, prefetch, manual acks) and beside Omnibus on a
 * classic queue ({@code queueType=classic}, the baseline: its ratio is what the quorum queue costs).
 * The durable queues the rows declare are deleted when each row closes.
 */
final class RabbitMqQuorumBench {
    private static final Logger LOG = LoggerFactory.getLogger(RabbitMqQuorumBench.class);
    private static final int PREFETCH = 1024;
    private static final int WINDOW = 1000;
    private static final String EXCHANGE = "omnibus";
    private static final String GROUP = "bench";

    private final String url;

    /** @param url the RabbitMQ URL, without query parameters of its own or with ones other than exchange and queueType */
    RabbitMqQuorumBench(String url) {
        this.url = url;
    }

    List<Result> run(Harness h, int size, int count) throws Exception {
        SubscribeOptions group = SubscribeOptions.builder().queue(GROUP).durable(true).prefetch(PREFETCH).build();
        List<Result> r = new ArrayList<>();
        r.addAll(h.run("rabbitmq durable group, window 1000", size, count, List.<Supplier<Workload>>of(
                () -> durableGroup("omnibus rabbitmq quorum", "quorum", group),
                () -> new RabbitMqReferences.PubSub(url, WINDOW, PREFETCH, "quorum"),
                () -> durableGroup("omnibus rabbitmq classic", "classic", group).asBaseline())));
        return r;
    }

    /** Omnibus publishing into a durable group of one member on a {@code queueType} queue, deleted on close. */
    private OmnibusWorkload durableGroup(String name, String queueType, SubscribeOptions group) {
        String withType = url + (url.contains("?") ? "&" : "?") + "queueType=" + queueType;
        return new OmnibusWorkload(name, withType, 1, group, WINDOW) {
            @Override
            public void close() {
                super.close();
                // the backend keeps a durable group's queue (it holds messages while no member runs): retire it
                String queue = EXCHANGE + ".group." + GROUP + ":" + topic();
                try (Connection c = RabbitMqReferences.connect(url, "bench-cleanup")) {
                    RabbitMqReferences.deleteQueue(c, queue);
                } catch (Exception e) {
                    LOG.warn("Could not delete bench queue {}: {}", queue, e.toString());
                }
            }
        };
    }
}
