package dev.quokka.analysis;

import com.github.lbfgs4j.liblbfgs.Lbfgs;
import com.github.lbfgs4j.liblbfgs.LbfgsConstant;
import com.github.lbfgs4j.liblbfgs.MutableDouble;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Fits a {@link Form} to points: L-BFGS (liblbfgs, More-Thuente line search) from the most promising points of the
 * form's grid ({@link #screen}), the starts spread over all cores; the best result wins, ties going to the earlier
 * start, so fits are deterministic.
 */
public final class Fitter {
    /** The best theta, its objective value, and the law it describes. */
    public record Fit(Form form, double[] theta, double objective, Law law) implements java.io.Serializable {}

    private Fitter() {}

    /** L-BFGS starts from this many of the grid's points, those where the objective is lowest (BENCHMARKS.md). */
    public static final int STARTS = 16;

    public static Fit fit(Form form, FitData data) {
        return fit(form, data, null, screen(form, data, null, form.grid(), STARTS));
    }

    /**
     * The {@code keep} points of the grid with the lowest objective, in grid order. Evaluating a point costs one pass
     * over the data, a descent from it hundreds: screening lets a fine grid cover the space at the price of a few.
     */
    public static List<double[]> screen(Form form, FitData data, double[] weights, List<double[]> grid, int keep) {
        if (grid.size() <= keep) return grid;
        HuberObjective objective = new HuberObjective(form, data, weights, HuberObjective.DELTA);
        double[] value = IntStream.range(0, grid.size()).parallel()
                .mapToDouble(i -> objective.evaluate(grid.get(i), new double[grid.get(i).length])).toArray();
        Integer[] order = IntStream.range(0, grid.size()).boxed().toArray(Integer[]::new);
        java.util.Arrays.sort(order, (x, y) -> Double.compare(nanLast(value[x]), nanLast(value[y])));
        return java.util.Arrays.stream(order, 0, keep).sorted().map(grid::get).toList();
    }

    private static double nanLast(double v) {
        return Double.isNaN(v) ? Double.POSITIVE_INFINITY : v;
    }

    /** With per-point weights (null: all 1) and the given starting points. */
    public static Fit fit(Form form, FitData data, double[] weights, List<double[]> starts) {
        HuberObjective objective = new HuberObjective(form, data, weights, HuberObjective.DELTA);
        Fit[] fits = IntStream.range(0, starts.size()).parallel().mapToObj(s -> descend(form, objective, starts.get(s))).toArray(Fit[]::new);
        Fit best = null;
        for (Fit f : fits) if (f != null && (best == null || f.objective() < best.objective())) best = f;
        if (best == null) throw new IllegalStateException("no start of the " + form.name() + " fit reached a finite objective");
        return best;
    }

    /**
     * Huber with delta = 1e-3 on residuals of about 1% is nearly piecewise linear, where L-BFGS keeps making slow
     * progress for thousands of iterations. Cutting the starts short and polishing the leader found a worse optimum
     * at 25,000 points (BENCHMARKS.md); fewer, screened starts taken all the way did not.
     */
    static final int ITERATIONS = 3000;

    private static Fit descend(Form form, HuberObjective objective, double[] start) {
        double[] x = start.clone();
        LbfgsConstant.LBFGS_Param param = Lbfgs.defaultParams();
        param.max_iterations = ITERATIONS;
        param.epsilon = 1e-10;
        param.past = 10;
        param.delta = 1e-8;
        MutableDouble fx = new MutableDouble();
        Lbfgs.lbfgs(x.length, x, fx, (instance, theta, gradient, n, step) -> objective.evaluate(theta, gradient), null, null, param);
        // Whatever liblbfgs reports (a line search can stop on rounding at the optimum), x is the best point it found.
        double value = objective.evaluate(x, new double[x.length]);
        return Double.isFinite(value) ? new Fit(form, x, value, form.law(x)) : null;
    }
}
