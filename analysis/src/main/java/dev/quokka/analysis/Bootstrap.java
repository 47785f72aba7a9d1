package dev.quokka.analysis;

import java.io.Serializable;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * Confidence intervals by resampling runs (not points: a run's points share its noise) with replacement. A resample
 * weights each point by how often its run was drawn and refits from the best fit's theta. Resample r draws from its
 * own generator, seeded by (seed, r), so the intervals depend neither on the number of threads nor on where the
 * resamples run: in the driver's threads, or as Spark tasks when the cluster has more cores than the driver.
 */
public final class Bootstrap {
    /** A percentile interval of one constant. */
    public record Interval(double low, double high) {
        public boolean contains(double x) {
            return x >= low && x <= high;
        }
    }

    /** Fits the points again under one resample's point weights. Serializable, to run as a Spark task. */
    @FunctionalInterface
    public interface Refit extends Serializable {
        Law apply(FitData data, double[] weights);
    }

    private Bootstrap() {}

    /** A refit of a fitted form from the best fit's theta. */
    public static Refit refit(Fitter.Fit fit) {
        return (data, w) -> Fitter.fit(fit.form(), data, w, List.of(fit.theta())).law();
    }

    /** Central {@code level} intervals (0.95: the 2.5th and 97.5th percentiles) for every constant of the fit's law. */
    public static Map<String, Interval> intervals(Fitter.Fit fit, FitData data, int resamples, long seed, double level) {
        return intervals(fit.law(), data, resamples, seed, level, refit(fit), null);
    }

    /**
     * The same, for any fitting procedure: {@code refit} fits the points under a resample's weights. With a Spark
     * context the resamples run as its tasks (the data goes out once, as a broadcast); without, in this JVM's threads.
     */
    public static Map<String, Interval> intervals(Law best, FitData data, int resamples, long seed, double level,
                                                  Refit refit, JavaSparkContext spark) {
        return intervals(List.copyOf(best.constants().keySet()), draws(data, resamples, seed, refit, spark), level);
    }

    /** Central {@code level} intervals of each named column of {@code draws} (one row per resample). */
    public static Map<String, Interval> intervals(List<String> names, double[][] draws, double level) {
        Map<String, Interval> out = new LinkedHashMap<>();
        for (int k = 0; k < names.size(); k++) {
            double[] v = new double[draws.length];
            for (int r = 0; r < draws.length; r++) v[r] = draws[r][k];
            out.put(names.get(k), interval(v, level));
        }
        return out;
    }

    /** The central {@code level} interval of a sample (unsorted). */
    public static Interval interval(double[] sample, double level) {
        double[] v = sample.clone();
        Arrays.sort(v);
        return new Interval(quantile(v, (1 - level) / 2), quantile(v, (1 + level) / 2));
    }

    /**
     * Every resample's constants, in the law's order, one row per resample: for intervals of anything the constants
     * determine (e_opt, R_D*). With a Spark context the resamples run as its tasks (the data goes out once, as a
     * broadcast); without, in this JVM's threads.
     */
    public static double[][] draws(FitData data, int resamples, long seed, Refit refit, JavaSparkContext spark) {
        if (resamples < 2) throw new IllegalArgumentException("the bootstrap needs at least 2 resamples");
        double[][] draws;
        if (spark == null) {
            draws = IntStream.range(0, resamples).parallel().mapToObj(r -> resample(refit, data, seed, r)).toArray(double[][]::new);
        } else {
            Broadcast<Refit> shared = spark.broadcast(refit);
            Broadcast<FitData> points = spark.broadcast(data);
            int slices = Math.min(resamples, 4 * spark.defaultParallelism());
            draws = spark.parallelize(IntStream.range(0, resamples).boxed().toList(), slices)
                    .map(r -> resample(shared.value(), points.value(), seed, r))
                    .collect().toArray(double[][]::new); // a few constants a resample
            shared.destroy();
            points.destroy();
        }
        return draws;
    }

    /** The constants of resample r, in the law's order. */
    static double[] resample(Refit refit, FitData data, long seed, int r) {
        Law law = refit.apply(data, weights(data, new SplittableRandom(seed * 0x9E3779B97F4A7C15L + r)));
        return law.constants().values().stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Point weights for one resample: each run drawn {@code runs} times with replacement. */
    static double[] weights(FitData data, SplittableRandom rng) {
        int[] drawn = new int[data.runs];
        for (int i = 0; i < data.runs; i++) drawn[rng.nextInt(data.runs)]++;
        double[] w = new double[data.size];
        for (int i = 0; i < data.size; i++) w[i] = drawn[data.run[i]];
        return w;
    }

    /** Linear interpolation between order statistics (type 7, as numpy and R by default). */
    static double quantile(double[] sorted, double p) {
        double h = (sorted.length - 1) * p;
        int lo = (int) Math.floor(h);
        return lo + 1 < sorted.length ? sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
    }
}
