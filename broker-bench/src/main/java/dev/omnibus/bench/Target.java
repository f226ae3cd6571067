package dev.omnibus.bench;

import java.util.List;
import java.util.Optional;

/**
 * What a scenario's Omnibus row must achieve against one reference (issue #22): throughput at
 * least {@code minRatio} × the reference's and, where set, p99 latency at most {@code maxP99Ratio}
 * × the reference's, both judged on the bound of the per-round spread (see {@link Comparison}).
 *
 * @param scenarioPrefix the scenario's name starts with it
 * @param bodySize       the body size it applies to, 0 for every size
 * @param reference      the reference implementation's name
 * @param maxP99Ratio    NaN where latency has no target
 */
record Target(String scenarioPrefix, int bodySize, String reference, double minRatio, double maxP99Ratio) {
    static final List<Target> ALL = List.of(
            new Target("memory 1->1", 0, "Guava AsyncEventBus", 1.0, Double.NaN),
            new Target("memory 1->1", 0, "ArrayBlockingQueue", 0.75, Double.NaN),
            new Target("memory 1->4 broadcast", 0, "Guava AsyncEventBus", 1.0, Double.NaN),
            new Target("memory 1->group of 4", 0, "ArrayBlockingQueue", 0.5, Double.NaN),
            new Target("nats core pub->sub", 128, "raw jnats + id header", 0.9, 1.5),
            new Target("nats core pub->sub", 1024, "raw jnats", 0.9, Double.NaN),
            new Target("nats request/reply", 0, "raw jnats", 0.9, Double.NaN),
            new Target("rabbitmq request/reply", 0, "raw amqp-client", 0.9, Double.NaN),
            new Target("rabbitmq confirm each publish", 0, "raw amqp-client", 0.95, Double.NaN),
            new Target("rabbitmq confirms, window 1000", 0, "raw amqp-client", 0.95, Double.NaN));

    /** The target of {@code reference} in {@code scenario} at {@code bodySize}, if it has one. */
    static Optional<Target> of(String scenario, int bodySize, String reference) {
        return ALL.stream().filter(t -> scenario.startsWith(t.scenarioPrefix) && (t.bodySize == 0 || t.bodySize == bodySize)
                && t.reference.equals(reference)).findFirst();
    }

    boolean hasLatencyTarget() {
        return !Double.isNaN(maxP99Ratio);
    }
}
