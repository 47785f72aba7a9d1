package dev.quokka.analysis;

import java.util.List;

/**
 * Quokka's law (Eq. 14) for the optimiser:
 * <pre>
 *   log L   = logsumexp(e, a - alpha log N, b - beta log D')
 *   log D'  = log U + p_e log e - exp(gamma (log(e - 1) - log e_p))      (no penalty within the first epoch)
 *   log e_p = c + m_p log U - k_p log N
 * </pre>
 * theta = (e, a, alpha, b, beta, p_e, g, c, m_p, k_p), with e = log E, a = log A, b = log B, g = log gamma, c = log c_p:
 * the law's constants in the law's order ({@link QuokkaLaw}), positive ones as logarithms.
 */
public final class QuokkaForm implements Form {
    private final List<double[]> grid;

    public QuokkaForm() {
        this(Form.product(new double[] {-2, 0.5}, new double[] {0, 5, 10}, new double[] {0.2, 0.5}, new double[] {0, 5, 10},
                new double[] {0.1, 0.3}, new double[] {1, 1.5}, new double[] {Math.log(0.3), Math.log(0.7)},
                new double[] {Math.log(10), Math.log(300)}, new double[] {0.4}, new double[] {0.5}));
    }

    public QuokkaForm(List<double[]> grid) {
        this.grid = List.copyOf(grid);
    }

    @Override
    public String name() {
        return "quokka";
    }

    @Override
    public List<String> parameters() {
        return List.of("log E", "log A", "alpha", "log B", "beta", "p_e", "log gamma", "log c_p", "m_p", "k_p");
    }

    @Override
    public List<double[]> grid() {
        return grid;
    }

    @Override
    public double logLoss(double[] t, FitData x, int i, double[] g) {
        double gamma = Math.exp(t[6]), logEp = t[7] + t[8] * x.logU[i] - t[9] * x.logN[i];
        double z = x.logR[i] - logEp, penalty = x.logR[i] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(gamma * z);
        double logDp = x.logU[i] + t[5] * x.logE[i] - penalty;
        double u = t[1] - t[2] * x.logN[i], v = t[3] - t[4] * logDp, m = Math.max(t[0], Math.max(u, v));
        double ee = Math.exp(t[0] - m), eu = Math.exp(u - m), ev = Math.exp(v - m), s = ee + eu + ev;
        double logL = m + Math.log(s); // logsumexp; its softmax weights are the gradient in e, a and b
        g[0] = ee / s;
        g[1] = eu / s;
        g[2] = -g[1] * x.logN[i];
        g[3] = ev / s;
        g[4] = -g[3] * logDp;
        double q = -t[4] * g[3]; // d log L / d log D'
        g[5] = q * x.logE[i];
        g[6] = penalty == 0 ? 0 : -q * penalty * z * gamma;
        double dLogEp = q * gamma * penalty; // d log L / d log e_p
        g[7] = dLogEp;
        g[8] = dLogEp * x.logU[i];
        g[9] = -dLogEp * x.logN[i];
        return logL;
    }

    @Override
    public QuokkaLaw law(double[] t) {
        return new QuokkaLaw(Math.exp(t[0]), Math.exp(t[1]), t[2], Math.exp(t[3]), t[4], t[5], Math.exp(t[6]), Math.exp(t[7]), t[8], t[9]);
    }

    public static double[] theta(QuokkaLaw q) {
        return new double[] {Math.log(q.e()), Math.log(q.a()), q.alpha(), Math.log(q.b()), q.beta(), q.pE(), Math.log(q.gamma()),
                Math.log(q.cP()), q.mP(), q.kP()};
    }
}
