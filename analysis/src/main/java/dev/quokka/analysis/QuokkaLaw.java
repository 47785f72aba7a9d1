package dev.quokka.analysis;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Quokka's data-constrained law (Ni et al. 2025, Eq. 14): repetition first helps, then hurts.
 * <pre>
 *   L   = E + A / N^alpha + B / D'^beta
 *   D'  = U e^p_e exp(-(max(0, e - 1) / e_p)^gamma)      learning term times an overfitting penalty
 *   e_p = c_p U^m_p / N^k_p                               larger models overfit sooner
 * </pre>
 */
public record QuokkaLaw(double e, double a, double alpha, double b, double beta, double pE, double gamma, double cP, double mP,
                     double kP) implements Law {
    /**
     * Quokka Eq. 15 (final validation losses, embedding-inclusive N). gamma is 0.3955, not the printed 0.40: the
     * printed value is rounded, and only 0.3955 reproduces the paper's own Table 3 (docs/laws.md).
     */
    public static final QuokkaLaw DLM = new QuokkaLaw(0, 1535.23, 0.42, 54.21, 0.13, 1.49, 0.3955, 254.35, 0.39, 0.55);

    /**
     * Evaluated in logs, as {@link QuokkaForm} fits it: with fitted constants far from the paper's, e_p or D' can
     * be beyond the range of a double (e_p = 1e-300, say) while the loss itself is an ordinary number.
     */
    @Override
    public double loss(double n, double u, double d) {
        double logDp = Math.log(u) + logGain(n, u, d / u);
        return e + Math.exp(Math.log(a) - alpha * Math.log(n)) + Math.exp(Math.log(b) - beta * logDp);
    }

    /** D' for e epochs over U. */
    public double effectiveData(double n, double u, double epochs) {
        return u * Math.exp(logGain(n, u, epochs));
    }

    /** e_p: the epoch scale on which overfitting sets in. */
    public double overfitEpochs(double n, double u) {
        return Math.exp(logOverfitEpochs(n, u));
    }

    private double logOverfitEpochs(double n, double u) {
        return Math.log(cP) + mP * Math.log(u) - kP * Math.log(n);
    }

    /** log(D' / U) = p_e log e - ((e - 1) / e_p)^gamma: all that e changes, whatever A, B, alpha and beta are. */
    private double logGain(double n, double u, double epochs) {
        double penalty = epochs <= 1 ? 0 : Math.exp(gamma * (Math.log(epochs - 1) - logOverfitEpochs(n, u)));
        return pE * Math.log(epochs) - penalty;
    }

    /**
     * e_opt: the interior local maximum of D' over e, or 1 where there is none (the paper's Table 3).
     * <p>With x = e - 1, dD'/de has the sign of h(x) = log(p_e e_p^gamma / gamma) + (1 - gamma) log x - log(1 + x),
     * which rises to its peak at x* = (1 - gamma) / gamma and falls after: there is an interior maximum exactly when
     * h(x*) > 0, at the root of h beyond x*. For gamma >= 1 (which small fits can give) h falls everywhere, so the
     * search starts near x = 0.
     */
    public double optimalEpochs(double n, double u) {
        double logK = Math.log(pE / gamma) + gamma * logOverfitEpochs(n, u);
        java.util.function.DoubleUnaryOperator h = logX -> logK + (1 - gamma) * logX - Math.log1p(Math.exp(logX));
        double lo = gamma < 1 ? Math.log((1 - gamma) / gamma) : -50;
        if (h.applyAsDouble(lo) <= 0) return 1;
        double hi = lo + 1;
        while (h.applyAsDouble(hi) > 0) hi += 1 + (hi - lo);
        for (int i = 0; i < 200 && hi - lo > 1e-13; i++) {
            double mid = (lo + hi) / 2;
            if (h.applyAsDouble(mid) > 0) lo = mid;
            else hi = mid;
        }
        return 1 + Math.exp((lo + hi) / 2);
    }

    /** The epochs that minimise the loss at (N, U): e_opt if D' is larger there than after one epoch, else 1. */
    public double bestEpochs(double n, double u) {
        double interior = optimalEpochs(n, u);
        return logGain(n, u, interior) > 0 ? interior : 1;
    }

    @Override
    public String form() {
        return "quokka";
    }

    @Override
    public Map<String, Double> constants() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("E", e);
        m.put("A", a);
        m.put("alpha", alpha);
        m.put("B", b);
        m.put("beta", beta);
        m.put("p_e", pE);
        m.put("gamma", gamma);
        m.put("c_p", cP);
        m.put("m_p", mP);
        m.put("k_p", kP);
        return m;
    }
}
