package dev.quokka.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Points drawn from a law with multiplicative log-normal noise: for recovery tests, benchmarks and power analysis. */
public final class Synthetic {
    private Synthetic() {}

    /** One run per (N, U), evaluated at each of the given epochs, loss times exp(noise * Gaussian). */
    public static List<FitPoint> points(Law law, double[] ns, double[] us, double[] epochs, double noise, long seed) {
        Random rng = new Random(seed);
        List<FitPoint> points = new ArrayList<>();
        for (double n : ns) {
            for (double u : us) {
                String run = "N" + Quantities.format(n) + "-U" + Quantities.format(u);
                for (double e : epochs) points.add(new FitPoint(run, law.form(), n, u, u * e, law.loss(n, u, u * e) * Math.exp(noise * rng.nextGaussian())));
            }
        }
        return points;
    }

    /** {@code count} values from {@code from} to {@code to}, evenly spaced in log. */
    public static double[] logSpace(double from, double to, int count) {
        double[] v = new double[count];
        for (int i = 0; i < count; i++) v[i] = from * Math.pow(to / from, count == 1 ? 0 : (double) i / (count - 1));
        return v;
    }
}
