package dev.omnibus.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a scenario: every implementation set up side by side, warm-up rounds, then measured
 * rounds interleaved across implementations (so drift on a shared machine hits all alike).
 */
public final class Harness {
    private static final Logger LOG = LoggerFactory.getLogger(Harness.class);

    private final int warmups;
    private final int rounds;
    private final Duration roundTimeout;

    public Harness(int warmups, int rounds, Duration roundTimeout) {
        this.warmups = warmups;
        this.rounds = rounds;
        this.roundTimeout = roundTimeout;
    }

    /** Measures each workload with {@code count} messages of {@code bodySize} bytes per round. */
    public List<Result> run(String scenario, int bodySize, int count, List<Supplier<Workload>> factories) throws Exception {
        List<Workload> workloads = new ArrayList<>();
        List<Result> results = new ArrayList<>();
        try {
            for (Supplier<Workload> f : factories) {
                Workload w = f.get();
                workloads.add(w);
                w.setUp(bodySize);
            }
            double[][] rates = new double[workloads.size()][rounds];
            Histogram[] latencies = new Histogram[workloads.size()];
            for (int r = 0; r < warmups + rounds; r++) {
                for (int i = 0; i < workloads.size(); i++) {
                    Workload w = workloads.get(i);
                    Probe probe = new Probe((long) count * w.fanout());
                    long start = System.nanoTime();
                    w.run(count, probe);
                    probe.await(roundTimeout);
                    double seconds = (System.nanoTime() - start) / 1e9;
                    if (r >= warmups) {
                        rates[i][r - warmups] = count / seconds;
                        if (latencies[i] == null) {
                            latencies[i] = probe.latency().copy();
                        } else {
                            latencies[i].add(probe.latency());
                        }
                    }
                    LOG.debug("{} {} B {} round {}: {} msg/s", scenario, bodySize, w.name(), r, (long) (count / seconds));
                }
            }
            for (int i = 0; i < workloads.size(); i++) {
                double[] sorted = rates[i].clone();
                Arrays.sort(sorted);
                Histogram h = latencies[i];
                results.add(new Result(scenario, bodySize, workloads.get(i).name(), workloads.get(i).isOmnibus(),
                        sorted[sorted.length / 2], sorted[0], sorted[sorted.length - 1],
                        h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0, rounds, count));
            }
        } finally {
            for (Workload w : workloads) {
                try {
                    w.close();
                } catch (Exception e) {
                    LOG.warn("Closing {} failed: {}", w.name(), e.toString());
                }
            }
        }
        return results;
    }
}
