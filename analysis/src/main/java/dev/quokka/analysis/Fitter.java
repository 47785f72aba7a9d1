package dev.quokka.analysis;

import com.github.lbfgs4j.liblbfgs.Lbfgs;
import com.github.lbfgs4j.liblbfgs.LbfgsConstant;
import com.github.lbfgs4j.liblbfgs.MutableDouble;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Fits a {@link Form} to points: L-BFGS (liblbfgs, More-Thuente line search) from every point of the form's grid,
 * the starts spread over all cores; the best result wins, ties going to the earlier start, so fits are deterministic.
 */
public final class Fitter {
    /** The best theta, its objective value, and the law it describes. */
    public record Fit(Form form, double[] theta, double objective, Law law) {}

    private Fitter() {}

    public static Fit fit(Form form, FitData data) {
        return fit(form, data, null, form.grid());
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

    private static Fit descend(Form form, HuberObjective objective, double[] start) {
        double[] x = start.clone();
        LbfgsConstant.LBFGS_Param param = Lbfgs.defaultParams();
        param.max_iterations = 1000;
        param.epsilon = 1e-9;
        param.past = 5;
        param.delta = 1e-12;
        MutableDouble fx = new MutableDouble();
        Lbfgs.lbfgs(x.length, x, fx, (instance, theta, gradient, n, step) -> objective.evaluate(theta, gradient), null, null, param);
        // Whatever liblbfgs reports (a line search can stop on rounding at the optimum), x is the best point it found.
        double value = objective.evaluate(x, new double[x.length]);
        return Double.isFinite(value) ? new Fit(form, x, value, form.law(x)) : null;
    }
}
