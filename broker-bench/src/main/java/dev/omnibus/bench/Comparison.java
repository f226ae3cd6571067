package dev.omnibus.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Omnibus beside one reference of a scenario, round by round: in each measured round both ran
 * back to back in the same JVM, so each round gives one throughput ratio Omnibus / reference (and
 * one p99 ratio). The ratio is reported as the median over the rounds with its range: the lower
 * bound is the smallest per-round ratio, the upper the largest (with 3 to 5 rounds a percentile
 * interval would be these anyway). A row with a {@link Target} is met only when the lower bound of
 * the throughput ratio reaches the target and, where latency has a target, the upper bound of the
 * p99 ratio stays within it.
 */
record Comparison(Result omnibus, Result reference, double[] roundRatios, double[] roundP99Ratios, Optional<Target> target) {

    static Comparison of(Result omnibus, Result reference) {
        return new Comparison(omnibus, reference, Stats.ratios(omnibus.roundRates(), reference.roundRates()),
                Stats.ratios(omnibus.roundP99Micros(), reference.roundP99Micros()),
                Target.of(reference.scenario(), reference.bodySize(), reference.implementation()));
    }

    /** One comparison per reference (or baseline) row, with the Omnibus row of its scenario and body size. */
    static List<Comparison> all(List<Result> results) {
        List<Comparison> out = new ArrayList<>();
        for (Result r : results) {
            if (!r.omnibus()) {
                results.stream().filter(o -> o.omnibus() && o.scenario().equals(r.scenario()) && o.bodySize() == r.bodySize())
                        .findFirst().ifPresent(o -> out.add(of(o, r)));
            }
        }
        return out;
    }

    double median() {
        return Stats.median(roundRatios);
    }

    double low() {
        return Stats.min(roundRatios);
    }

    double high() {
        return Stats.max(roundRatios);
    }

    double p99Median() {
        return Stats.median(roundP99Ratios);
    }

    /** The largest per-round p99 ratio Omnibus / reference. */
    double p99High() {
        return Stats.max(roundP99Ratios);
    }

    /** Empty when the row has no target; else whether the bounds of the spread meet it. */
    Optional<Boolean> met() {
        return target.map(t -> low() >= t.minRatio() && (!t.hasLatencyTarget() || p99High() <= t.maxP99Ratio()));
    }
}
