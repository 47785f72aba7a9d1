package dev.quokka.analysis;

/**
 * The papers' fit objective: sum over points of weight_i Huber_delta(log L_pred - log L_obs), delta = 1e-3 by
 * default. Weights are bootstrap multiplicities (1 for a plain fit).
 */
final class HuberObjective {
    static final double DELTA = 1e-3;

    private final Form form;
    private final FitData data;
    private final double[] weights;
    private final double delta;

    HuberObjective(Form form, FitData data, double[] weights, double delta) {
        this.form = form;
        this.data = data;
        this.weights = weights;
        this.delta = delta;
    }

    /** The objective at theta, with its gradient written into {@code gradient}. */
    double evaluate(double[] theta, double[] gradient) {
        java.util.Arrays.fill(gradient, 0);
        double[] g = new double[theta.length];
        double total = 0;
        for (int i = 0; i < data.size; i++) {
            double w = weights == null ? 1 : weights[i];
            if (w == 0) continue;
            double r = form.logLoss(theta, data, i, g) - data.logLoss[i];
            double a = Math.abs(r);
            total += w * (a <= delta ? 0.5 * r * r : delta * (a - 0.5 * delta));
            double slope = w * (a <= delta ? r : Math.copySign(delta, r));
            for (int j = 0; j < g.length; j++) gradient[j] += slope * g[j];
        }
        return total;
    }
}
