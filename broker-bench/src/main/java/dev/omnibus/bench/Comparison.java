package dev.omnibus.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Omnibus beside one reference of a scenario, round by round: in each measured round both ran
 * back to back in the same JVM, so each round gives one throughput ratio Omnibus / reference (and
 * one p99 ratio). The ratio is reported as the median over the rounds, with the range of the rounds
 * and a 95 % confidence bound of that median ({@link Stats#lowerBound}: the smallest round with
 * up to 7 rounds, the third smallest of 11). A row with a {@link Target} is met only when the lower
 * bound of the throughput ratio reaches the target and, where latency has a target, the upper bound
 * of the p99 ratio stays within it.
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

    /** The lowest round's ratio. */
    double min() {
        return Stats.min(roundRatios);
    }

    /** The highest round's ratio. */
    double max() {
        return Stats.max(roundRatios);
    }

    /** The 95 % lower confidence bound of the median ratio: what {@link #met()} judges. */
    double lowerBound() {
        return Stats.lowerBound(roundRatios);
    }

    double p99Median() {
        return Stats.median(roundP99Ratios);
    }

    /** The largest per-round p99 ratio Omnibus / reference. */
    double p99Max() {
        return Stats.max(roundP99Ratios);
    }

    /** The 95 % upper confidence bound of the median p99 ratio. */
    double p99UpperBound() {
        return Stats.upperBound(roundP99Ratios);
    }

    /** Empty when the row has no target; else whether the confidence bounds meet it. */
    Optional<Boolean> met() {
        return target.map(t -> lowerBound() >= t.minRatio() && (!t.hasLatencyTarget() || p99UpperBound() <= t.maxP99Ratio()));
    }
}
