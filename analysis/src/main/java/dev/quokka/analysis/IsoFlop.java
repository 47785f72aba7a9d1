package dev.quokka.analysis;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Approach 1, IsoFLOP profiles, as Chinchilla and Quokka do them: runs of several sizes N at each FLOP budget C, each
 * on D = C / (6 N) tokens seen once.
 * <ol>
 *   <li>Group the runs by budget: C = 6 N D, with runs whose C lie within a relative tolerance of their neighbours in
 *       one group (points read off published figures lie only near their budgets).</li>
 *   <li>Per budget, fit a parabola to the loss against ln N; its vertex is N_opt(C), and D_opt(C) = C / (6 N_opt).
 *       A budget with fewer than three sizes, a parabola that opens downwards, or a vertex outside its sizes (the
 *       optimum was not bracketed) is excluded and reported, never fitted.</li>
 *   <li>Fit ln N_opt = ln k_N + a ln C and ln D_opt = ln k_D + b ln C by least squares.</li>
 * </ol>
 * Intervals come from a bootstrap that resamples the runs within each budget and repeats all three steps.
 */
public final class IsoFlop {
    /** The default tolerance: runs whose C differ by less than 25% from the next smaller one share a budget. */
    public static final double DEFAULT_TOLERANCE = 0.25;
    /** A parabola needs three sizes; fewer cannot place a minimum. */
    public static final int MIN_SIZES = 3;

    /** A budget's profile: its runs' geometric-mean C, its minimum, and the interval of N_opt over resamples. */
    public record Minimum(double budget, int sizes, double nOpt, double dOpt, double loss, Bootstrap.Interval nInterval) {}

    /** A budget left out of the power-law fit, and why. */
    public record Excluded(double budget, int sizes, String reason) {}

    /**
     * @param allocation the fitted N_opt = k_N C^a, D_opt = k_D C^b
     * @param intervals  a, b, k_N, k_D over resamples (empty without a bootstrap)
     */
    public record Fit(ComputeAllocation allocation, Map<String, Bootstrap.Interval> intervals, List<Minimum> minima, List<Excluded> excluded,
                      int resamples) {}

    private IsoFlop() {}

    /** Fits approach 1 to the points, with {@code resamples} bootstrap resamples (0 for none). */
    public static Fit fit(List<FitPoint> points, double tolerance, int resamples, long seed, double level) {
        if (!(tolerance > 0)) throw new IllegalArgumentException("the budget tolerance must be positive, not " + tolerance);
        List<List<FitPoint>> budgets = groups(points, tolerance);
        List<Minimum> minima = new ArrayList<>();
        List<Excluded> excluded = new ArrayList<>();
        List<List<FitPoint>> fitted = new ArrayList<>(); // the budgets behind the minima, in their order
        for (List<FitPoint> g : budgets) {
            double c = budget(g);
            int sizes = (int) g.stream().mapToDouble(FitPoint::n).distinct().count();
            Vertex v = vertex(g);
            if (v.reason() != null) {
                excluded.add(new Excluded(c, sizes, v.reason()));
            } else {
                minima.add(new Minimum(c, sizes, v.n(), c / (6 * v.n()), v.loss(), null));
                fitted.add(g);
            }
        }
        if (minima.size() < 2) {
            throw new IllegalArgumentException(minima.size() + " of " + budgets.size() + " budgets have a bracketed minimum; a power law needs two"
                    + (excluded.isEmpty() ? "" : " (excluded: " + excluded.stream().map(e -> String.format("%.3g: %s", e.budget(), e.reason())).toList() + ")"));
        }
        ComputeAllocation allocation;
        try {
            allocation = powerLaws(minima);
        } catch (IllegalArgumentException e) { // N_opt or D_opt not growing with C: the minima are the finding
            throw new IllegalArgumentException("the bracketed minima (" + minima.stream().map(m -> String.format("N_opt %s at %.3g", Quantities.format(m.nOpt()),
                    m.budget())).collect(java.util.stream.Collectors.joining(", ")) + ") do not give N_opt and D_opt both growing with C: no allocation"
                    + (excluded.isEmpty() ? "" : " (excluded: " + excluded.stream().map(x -> String.format("%.3g: %s", x.budget(), x.reason())).toList() + ")"), e);
        }
        if (resamples == 0) return new Fit(allocation, Map.of(), minima, excluded, 0);

        // Resample runs within each budget that was fitted; a resample whose budget loses its bracket is a failed draw.
        SplittableRandom rng = new SplittableRandom(seed);
        List<double[]> draws = new ArrayList<>();
        List<double[]> nOpts = new ArrayList<>();
        for (int r = 0; r < resamples; r++) {
            List<Minimum> m = new ArrayList<>();
            double[] n = new double[fitted.size()];
            for (int i = 0; i < fitted.size(); i++) {
                List<FitPoint> g = fitted.get(i), sample = new ArrayList<>(g.size());
                for (int k = 0; k < g.size(); k++) sample.add(g.get(rng.nextInt(g.size())));
                Vertex v = vertex(sample);
                n[i] = v.reason() == null ? v.n() : Double.NaN;
                if (v.reason() == null) m.add(new Minimum(budget(g), 0, v.n(), budget(g) / (6 * v.n()), v.loss(), null));
            }
            nOpts.add(n);
            if (m.size() >= 2) {
                try {
                    ComputeAllocation a = powerLaws(m);
                    draws.add(new double[] {a.a(), a.b(), a.kN(), a.kD()});
                } catch (IllegalArgumentException e) {
                    // a resample whose minima do not grow with C is a failed draw, as one that loses a bracket
                }
            }
        }
        Map<String, Bootstrap.Interval> intervals = draws.isEmpty() ? Map.of()
                : Bootstrap.intervals(List.of("a", "b", "k_N", "k_D"), draws.toArray(double[][]::new), level);
        List<Minimum> withIntervals = new ArrayList<>();
        for (int i = 0; i < minima.size(); i++) {
            int k = i;
            double[] sample = nOpts.stream().mapToDouble(n -> n[k]).filter(Double::isFinite).toArray();
            Minimum m = minima.get(i);
            withIntervals.add(new Minimum(m.budget(), m.sizes(), m.nOpt(), m.dOpt(), m.loss(), sample.length < 2 ? null : Bootstrap.interval(sample, level)));
        }
        return new Fit(allocation, intervals, withIntervals, excluded, resamples);
    }

    /** The points grouped by budget, smallest first: a new group wherever C grows by more than the tolerance. */
    static List<List<FitPoint>> groups(List<FitPoint> points, double tolerance) {
        List<FitPoint> sorted = new ArrayList<>(points);
        sorted.sort(Comparator.comparingDouble(IsoFlop::flops));
        List<List<FitPoint>> groups = new ArrayList<>();
        double last = Double.NaN;
        for (FitPoint p : sorted) {
            if (groups.isEmpty() || flops(p) > last * (1 + tolerance)) groups.add(new ArrayList<>());
            groups.get(groups.size() - 1).add(p);
            last = flops(p);
        }
        return groups;
    }

    static double flops(FitPoint p) {
        return 6 * p.n() * p.d();
    }

    /** A group's budget: the geometric mean of its runs' C. */
    static double budget(List<FitPoint> g) {
        return Math.exp(g.stream().mapToDouble(p -> Math.log(flops(p))).average().orElseThrow());
    }

    /**
     * A budget's parabola loss = c0 + c1 t + c2 t^2 in t = ln N - mean (null when it could not be fitted), its vertex
     * in N, or the reason there is none to use.
     */
    record Vertex(double n, double loss, String reason, double[] c, double mean) {
        Vertex(double n, double loss, String reason) {
            this(n, loss, reason, null, Double.NaN);
        }

        /** The parabola at N. */
        double at(double size) {
            double t = Math.log(size) - mean;
            return c[0] + c[1] * t + c[2] * t * t;
        }
    }

    /** The least-squares parabola loss = c0 + c1 x + c2 x^2 in x = ln N, and its vertex. */
    static Vertex vertex(List<FitPoint> g) {
        double[] x = g.stream().mapToDouble(p -> Math.log(p.n())).toArray(), y = g.stream().mapToDouble(FitPoint::loss).toArray();
        long sizes = java.util.Arrays.stream(x).distinct().count();
        if (sizes < MIN_SIZES) return new Vertex(Double.NaN, Double.NaN, sizes + " model sizes; a parabola needs " + MIN_SIZES);
        // centre x for conditioning; the normal equations of a 3-parameter fit
        double mean = java.util.Arrays.stream(x).average().orElseThrow();
        double[][] m = new double[3][4];
        for (int i = 0; i < x.length; i++) {
            double t = x[i] - mean;
            double[] f = {1, t, t * t};
            for (int r = 0; r < 3; r++) {
                for (int c = 0; c < 3; c++) m[r][c] += f[r] * f[c];
                m[r][3] += f[r] * y[i];
            }
        }
        double[] c = solve(m);
        if (!(c[2] > 0)) return new Vertex(Double.NaN, Double.NaN, "the loss against ln N curves downwards: no minimum", c, mean);
        double t = -c[1] / (2 * c[2]);
        double lo = java.util.Arrays.stream(x).min().orElseThrow() - mean, hi = java.util.Arrays.stream(x).max().orElseThrow() - mean;
        if (t < lo || t > hi) {
            return new Vertex(Double.NaN, Double.NaN, String.format("the minimum lies %s its sizes (at N = %s): not bracketed",
                    t < lo ? "below" : "above", n(Math.exp(t + mean))), c, mean);
        }
        return new Vertex(Math.exp(t + mean), c[0] + c[1] * t + c[2] * t * t, null, c, mean);
    }

    /** Gaussian elimination with partial pivoting on an augmented 3 x 4 matrix. */
    private static double[] solve(double[][] m) {
        int n = m.length;
        for (int col = 0; col < n; col++) {
            int pivot = col;
            for (int r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
            double[] tmp = m[col];
            m[col] = m[pivot];
            m[pivot] = tmp;
            for (int r = col + 1; r < n; r++) {
                double f = m[r][col] / m[col][col];
                for (int c = col; c <= n; c++) m[r][c] -= f * m[col][c];
            }
        }
        double[] x = new double[n];
        for (int r = n - 1; r >= 0; r--) {
            double s = m[r][n];
            for (int c = r + 1; c < n; c++) s -= m[r][c] * x[c];
            x[r] = s / m[r][r];
        }
        return x;
    }

    /** A size as the tables print it, or in scientific notation where it is far outside any model's (a vertex run away). */
    private static String n(double v) {
        return v >= 1 && v < 1e16 ? Quantities.format(v) : String.format("%.3g", v);
    }

    /** ln N_opt and ln D_opt against ln C, each a least-squares line. */
    static ComputeAllocation powerLaws(List<Minimum> minima) {
        double[] lc = minima.stream().mapToDouble(m -> Math.log(m.budget())).toArray();
        double[] n = line(lc, minima.stream().mapToDouble(m -> Math.log(m.nOpt())).toArray());
        double[] d = line(lc, minima.stream().mapToDouble(m -> Math.log(m.dOpt())).toArray());
        return new ComputeAllocation(Math.exp(n[0]), n[1], Math.exp(d[0]), d[1]);
    }

    /** {intercept, slope} of the least-squares line through (x, y). */
    static double[] line(double[] x, double[] y) {
        double mx = java.util.Arrays.stream(x).average().orElseThrow(), my = java.util.Arrays.stream(y).average().orElseThrow();
        double sxy = 0, sxx = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
        }
        double slope = sxy / sxx;
        return new double[] {my - slope * mx, slope};
    }
}
