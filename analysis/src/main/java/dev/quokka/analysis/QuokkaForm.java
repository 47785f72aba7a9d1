package dev.quokka.analysis;

import java.util.List;

/**
 * Quokka's law (Eq. 14) for the optimiser:
 * <pre>
 *   log L   = logsumexp(a - alpha log N, b - beta log D', e)
 *   log D'  = log U + p_e log e - exp(gamma (log(e - 1) - log e_p))      (no penalty within the first epoch)
 *   log e_p = c + m_p log U - k_p log N
 * </pre>
 * theta = (a, alpha, b, beta, e, p_e, g, c, m_p, k_p), with a = log A, b = log B, e = log E, g = log gamma, c = log c_p.
 */
public final class QuokkaForm implements Form {
    private final List<double[]> grid;

    public QuokkaForm() {
        this(Form.product(new double[] {0, 5, 10}, new double[] {0.2, 0.5}, new double[] {0, 5, 10}, new double[] {0.1, 0.3},
                new double[] {-2, 0.5}, new double[] {1, 1.5}, new double[] {Math.log(0.3), Math.log(0.7)},
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
        return List.of("log A", "alpha", "log B", "beta", "log E", "p_e", "log gamma", "log c_p", "m_p", "k_p");
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
        double u = t[0] - t[1] * x.logN[i], v = t[2] - t[3] * logDp, m = Math.max(u, Math.max(v, t[4]));
        double eu = Math.exp(u - m), ev = Math.exp(v - m), ee = Math.exp(t[4] - m), s = eu + ev + ee;
        double logL = m + Math.log(s); // logsumexp; its softmax weights are the gradient in a, b and e
        g[0] = eu / s;
        g[1] = -g[0] * x.logN[i];
        g[2] = ev / s;
        g[3] = -g[2] * logDp;
        g[4] = ee / s;
        double q = -t[3] * g[2]; // d log L / d log D'
        g[5] = q * x.logE[i];
        g[6] = penalty == 0 ? 0 : -q * penalty * z * gamma;
        double dLogEp = q * gamma * penalty; // d log L / d log e_p
        g[7] = dLogEp;
        g[8] = dLogEp * x.logU[i];
        g[9] = -dLogEp * x.logN[i];
        return logL;
    }

    @Override
    public Quokka law(double[] t) {
        return new Quokka(Math.exp(t[4]), Math.exp(t[0]), t[1], Math.exp(t[2]), t[3], t[5], Math.exp(t[6]), Math.exp(t[7]), t[8], t[9]);
    }

    public static double[] theta(Quokka q) {
        return new double[] {Math.log(q.a()), q.alpha(), Math.log(q.b()), q.beta(), Math.log(q.e()), q.pE(), Math.log(q.gamma()),
                Math.log(q.cP()), q.mP(), q.kP()};
    }
}
