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
        double[] w = new double[3];
        double logL = Form.logSumExp(t[0] - t[1] * x.logN[i], t[2] - t[3] * x.logD[i], t[4], w);
        g[0] = w[0];
        g[1] = -w[0] * x.logN[i];
        g[2] = w[1];
        g[3] = -w[1] * x.logD[i];
        g[4] = w[2];
        return logL;
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
