package dev.omnibus.bench;

/**
 * What one implementation achieved in one scenario: the median and range of its rounds'
 * throughput (published messages per second, each delivered to every subscriber) and the
 * publish → deliver latency percentiles over all measured rounds, in microseconds; and, per
 * measured round in order, its throughput and p99, so that ratios can be taken round by round.
 */
public record Result(String scenario, int bodySize, String implementation, boolean omnibus,
        double medianRate, double minRate, double maxRate, double p50Micros, double p99Micros, int rounds, int messages,
        double[] roundRates, double[] roundP99Micros) {

    /** A result from its measured rounds; median, min and max are taken over {@code roundRates}. */
    static Result of(String scenario, int bodySize, String implementation, boolean omnibus, double[] roundRates,
            double[] roundP99Micros, double p50Micros, double p99Micros, int messages) {
        return new Result(scenario, bodySize, implementation, omnibus, Stats.median(roundRates), Stats.min(roundRates),
                Stats.max(roundRates), p50Micros, p99Micros, roundRates.length, messages, roundRates.clone(), roundP99Micros.clone());
    }
}
