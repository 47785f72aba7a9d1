package dev.quokka.analysis;

import java.util.List;

/**
 * A law's functional form as the optimiser sees it: a parameter vector theta (positive constants as logarithms, so
 * that every theta is valid), the log of the predicted loss with its gradient, and a grid of starting points.
 */
public interface Form extends java.io.Serializable {
    String name();

    /** The names of theta's components. */
    List<String> parameters();

    /** Starting points for L-BFGS. */
    List<double[]> grid();

    /** log L_pred for point i, and its gradient in theta written into {@code gradient}. */
    double logLoss(double[] theta, FitData data, int i, double[] gradient);

    /** The law theta describes. */
    Law law(double[] theta);

    /** Every combination of the given values, one list per component, in order. */
    static List<double[]> product(double[]... values) {
        List<double[]> out = new java.util.ArrayList<>();
        int[] idx = new int[values.length];
        while (true) {
            double[] p = new double[values.length];
            for (int i = 0; i < p.length; i++) p[i] = values[i][idx[i]];
            out.add(p);
            int k = values.length - 1;
            while (k >= 0 && ++idx[k] == values[k].length) idx[k--] = 0;
            if (k < 0) return out;
        }
    }
}
