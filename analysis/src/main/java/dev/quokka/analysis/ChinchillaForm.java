package dev.quokka.analysis;

import java.util.List;

/** log L = logsumexp(a - alpha log N, b - beta log D, e), theta = (a, alpha, b, beta, e) with a = log A, ... */
public final class ChinchillaForm implements Form {
    private final List<double[]> grid;

    /** Hoffmann et al.'s grid, thinned: a, b in 0..25, e in -1..1, alpha and beta in 0.2..1.5. */
    public ChinchillaForm() {
        this(Form.product(new double[] {0, 6.25, 12.5, 18.75, 25}, new double[] {0.2, 0.5, 1.5},
                new double[] {0, 6.25, 12.5, 18.75, 25}, new double[] {0.2, 0.5, 1.5}, new double[] {-1, -1.0 / 3, 1.0 / 3, 1}));
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
        return List.of("log A", "alpha", "log B", "beta", "log E");
    }

    @Override
    public List<double[]> grid() {
        return grid;
    }

    @Override
    public double logLoss(double[] t, FitData x, int i, double[] g) {
        double u = t[0] - t[1] * x.logN[i], v = t[2] - t[3] * x.logD[i], m = Math.max(u, Math.max(v, t[4]));
        double eu = Math.exp(u - m), ev = Math.exp(v - m), ee = Math.exp(t[4] - m), s = eu + ev + ee;
        // logsumexp, and its softmax weights as the gradient
        g[0] = eu / s;
        g[1] = -g[0] * x.logN[i];
        g[2] = ev / s;
        g[3] = -g[2] * x.logD[i];
        g[4] = ee / s;
        return m + Math.log(s);
    }

    @Override
    public Chinchilla law(double[] t) {
        return new Chinchilla(Math.exp(t[4]), Math.exp(t[0]), t[1], Math.exp(t[2]), t[3]);
    }

    /** theta for a law, to start from or to check against. */
    public static double[] theta(Chinchilla c) {
        return new double[] {Math.log(c.a()), c.alpha(), Math.log(c.b()), c.beta(), Math.log(c.e())};
    }
}
