package dev.quokka.analysis;

import java.util.LinkedHashMap;
import java.util.Map;

/** The compute-constrained law L = E + A / N^alpha + B / D^beta, blind to repetition. */
public record ChinchillaLaw(double e, double a, double alpha, double b, double beta) implements Law {
    /** Quokka's DLM fit, approach 2 (single epoch, non-embedding N). */
    public static final ChinchillaLaw QUOKKA_DLM = new ChinchillaLaw(2.413, 798.6, 0.379, 4604.9, 0.378);
    /** Hoffmann et al., approach 3, as printed. */
    public static final ChinchillaLaw HOFFMANN = new ChinchillaLaw(1.69, 406.4, 0.34, 410.7, 0.28);
    /** Epoch AI's refit of Hoffmann et al.'s data. */
    public static final ChinchillaLaw EPOCH_AI = new ChinchillaLaw(1.82, 482.01, 0.3478, 2085.43, 0.3658);

    @Override
    public double loss(double n, double u, double d) {
        return e + a / Math.pow(n, alpha) + b / Math.pow(d, beta);
    }

    @Override
    public String form() {
        return "chinchilla";
    }

    @Override
    public Map<String, Double> constants() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("E", e);
        m.put("A", a);
        m.put("alpha", alpha);
        m.put("B", b);
        m.put("beta", beta);
        return m;
    }

    /** The loss-minimising split of a budget C = 6 N D: {N_opt, D_opt}, in closed form. */
    public double[] computeOptimal(double c) {
        double n = ComputeAllocation.of(this).nOpt(c);
        return new double[] {n, c / (6 * n)};
    }

    /** N_opt of the budget whose D_opt is exactly {@code u}: the compute-optimal model for one pass over U tokens. */
    public double optimalParametersForOnePass(double u) {
        double g = Math.pow(alpha * a / (beta * b), 1 / (alpha + beta));
        // D_opt = (C/6)^(alpha/(alpha+beta)) / G  =>  C/6 = (G U)^((alpha+beta)/alpha);  N_opt = (C/6) / U
        return Math.pow(g * u, (alpha + beta) / alpha) / u;
    }
}
