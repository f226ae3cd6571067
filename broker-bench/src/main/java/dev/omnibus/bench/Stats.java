package dev.omnibus.bench;

import java.util.Arrays;

/** Order statistics over the measured rounds of a scenario. */
final class Stats {
    private Stats() {
    }

    /** The median of {@code values} (the mean of the two middle values for an even count); NaN if empty. */
    static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] s = values.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    static double min(double[] values) {
        return Arrays.stream(values).min().orElse(Double.NaN);
    }

    static double max(double[] values) {
        return Arrays.stream(values).max().orElse(Double.NaN);
    }

    /** One-sided confidence of {@link #lowerBound} and {@link #upperBound}. */
    static final double CONFIDENCE = 0.95;

    /**
     * A 95 % lower confidence bound of the median of the distribution {@code values} were drawn
     * from, free of any assumption about that distribution: the k-th smallest value, with k the
     * largest for which at most k - 1 of n values fall below the median with probability at most
     * 5 % (binomial, p = 1/2). With 5 to 7 values that is the smallest (fewer than 5 cannot reach
     * 95 %: the smallest, then); with 11, the third smallest.
     * More rounds therefore tighten the bound, where the smallest value would only get lower. NaN if empty.
     */
    static double lowerBound(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] s = values.clone();
        Arrays.sort(s);
        return s[boundRank(s.length) - 1];
    }

    /** The upper confidence bound of the median, as {@link #lowerBound}: the k-th largest value. */
    static double upperBound(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] s = values.clone();
        Arrays.sort(s);
        return s[s.length - boundRank(s.length)];
    }

    /** The k of {@link #lowerBound} for n values: at least 1. */
    static int boundRank(int n) {
        // P(X <= j) for X ~ Binomial(n, 1/2), summed term by term: C(n, i) / 2^n
        double term = Math.pow(0.5, n);
        double below = 0;
        int k = 1;
        for (int j = 0; j < n; j++) {
            below += term; // P(X <= j)
            if (below > 1 - CONFIDENCE) {
                break;
            }
            k = j + 1; // the k-th smallest is above the median only if at most k - 1 = j values are below it
            term = term * (n - j) / (j + 1);
        }
        return k;
    }

    /** {@code a[i] / b[i]} for each round {@code i}; the arrays must be of one length. */
    static double[] ratios(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("rounds differ: " + a.length + " and " + b.length);
        }
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i] / b[i];
        }
        return r;
    }
}
