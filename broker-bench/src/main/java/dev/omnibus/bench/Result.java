package dev.omnibus.bench;

/**
 * What one implementation achieved in one scenario: the median and range of its rounds'
 * throughput (published messages per second, each delivered to every subscriber) and the
 * publish → deliver latency percentiles over all measured rounds, in microseconds.
 */
public record Result(String scenario, int bodySize, String implementation, boolean omnibus,
        double medianRate, double minRate, double maxRate, double p50Micros, double p99Micros, int rounds, int messages) {
}
