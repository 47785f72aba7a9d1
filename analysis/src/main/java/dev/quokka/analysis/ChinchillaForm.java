package dev.quokka.analysis;

import java.util.List;

/**
 * log L = logsumexp(e - 0, a - alpha log N, b - beta log D), theta = (e, a, alpha, b, beta) with e = log E, a = log A,
 * b = log B: the law's constants in the law's order ({@link ChinchillaLaw}), positive ones as logarithms.
 */
public final class ChinchillaForm implements Form {
    private final List<double[]> grid;

    /** Hoffmann et al.'s grid, thinned: a, b in 0..25, e in -1..1, alpha and beta in 0.2..1.5. */
    public ChinchillaForm() {
        this(Form.product(new double[] {-1, -1.0 / 3, 1.0 / 3, 1}, new double[] {0, 6.25, 12.5, 18.75, 25}, new double[] {0.2, 0.5, 1.5},
                new double[] {0, 6.25, 12.5, 18.75, 25}, new double[] {0.2, 0.5, 1.5}));
    }

    public ChinchillaForm(List<double[]> grid) {
        this.grid = List.copyOf(grid);
    }

    @Override
    public String name() {
        return "chinchilla";
    }

    @Override
    public List<String> parameters() {
        return List.of("log E", "log A", "alpha", "log B", "beta");
    }

    @Override
    public List<double[]> grid() {
        return grid;
    }

    @Override
    public double logLoss(double[] t, FitData x, int i, double[] g) {
        double u = t[1] - t[2] * x.logN[i], v = t[3] - t[4] * x.logD[i], m = Math.max(t[0], Math.max(u, v));
        double ee = Math.exp(t[0] - m), eu = Math.exp(u - m), ev = Math.exp(v - m), s = ee + eu + ev;
        // logsumexp, and its softmax weights as the gradient
        g[0] = ee / s;
        g[1] = eu / s;
        g[2] = -g[1] * x.logN[i];
        g[3] = ev / s;
        g[4] = -g[3] * x.logD[i];
        return m + Math.log(s);
    }

    @Override
    public ChinchillaLaw law(double[] t) {
        return new ChinchillaLaw(Math.exp(t[0]), Math.exp(t[1]), t[2], Math.exp(t[3]), t[4]);
    }

    /** theta for a law, to start from or to check against. */
    public static double[] theta(ChinchillaLaw c) {
        return new double[] {Math.log(c.e()), Math.log(c.a()), c.alpha(), Math.log(c.b()), c.beta()};
    }
}
