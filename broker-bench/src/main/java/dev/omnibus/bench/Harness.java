package dev.omnibus.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a scenario: every implementation set up side by side in this JVM, warm-up rounds (discarded),
 * then measured rounds in which every implementation runs once, back to back, in alternating order
 * (A B C, then C B A, ...), so that drift on a shared machine hits all alike and each round yields
 * one Omnibus / reference ratio per reference (see {@link Comparison}).
 */
public final class Harness {
    private static final Logger LOG = LoggerFactory.getLogger(Harness.class);

    private final int warmups;
    private final int rounds;
    private final Duration roundTimeout;
    private final String only;

    public Harness(int warmups, int rounds, Duration roundTimeout) {
        this(warmups, rounds, roundTimeout, null);
    }

    /** @param only when not null, only the scenarios whose name contains it are run (for profiling one scenario) */
    public Harness(int warmups, int rounds, Duration roundTimeout, String only) {
        this.warmups = warmups;
        this.rounds = rounds;
        this.roundTimeout = roundTimeout;
        this.only = only;
    }

    /** Measures each workload with {@code count} messages of {@code bodySize} bytes per round. */
    public List<Result> run(String scenario, int bodySize, int count, List<Supplier<Workload>> factories) throws Exception {
        List<Workload> workloads = new ArrayList<>();
        List<Result> results = new ArrayList<>();
        if (only != null && !scenario.contains(only)) {
            return results;
        }
        try {
            for (Supplier<Workload> f : factories) {
                Workload w = f.get();
                workloads.add(w);
                w.setUp(bodySize);
            }
            int n = workloads.size();
            double[][] rates = new double[n][rounds];
            double[][] p99s = new double[n][rounds];
            Histogram[] latencies = new Histogram[n];
            for (int r = 0; r < warmups + rounds; r++) {
                for (int k = 0; k < n; k++) {
                    // A, B, C in one round, C, B, A in the next: no implementation always runs first or last
                    int i = r % 2 == 0 ? k : n - 1 - k;
                    Workload w = workloads.get(i);
                    Probe probe = new Probe((long) count * w.fanout());
                    long start = System.nanoTime();
                    w.run(count, probe);
                    probe.await(roundTimeout);
                    double seconds = (System.nanoTime() - start) / 1e9;
                    if (r >= warmups) {
                        rates[i][r - warmups] = count / seconds;
                        p99s[i][r - warmups] = probe.latency().getValueAtPercentile(99) / 1000.0;
                        if (latencies[i] == null) {
                            latencies[i] = probe.latency().copy();
                        } else {
                            latencies[i].add(probe.latency());
                        }
                    }
                    LOG.debug("{} {} B {} round {}{}: {} msg/s", scenario, bodySize, w.name(), r, r < warmups ? " (warm-up)" : "",
                            (long) (count / seconds));
                }
            }
            for (int i = 0; i < n; i++) {
                Histogram h = latencies[i];
                results.add(Result.of(scenario, bodySize, workloads.get(i).name(), workloads.get(i).isOmnibus(), rates[i], p99s[i],
                        h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0, count));
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
