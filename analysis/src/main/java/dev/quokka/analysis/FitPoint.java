package dev.quokka.analysis;

/**
 * One observation for a fit: a model of N parameters trained on D tokens drawn from U unique ones (e = D / U) reached
 * this validation loss. {@code run} groups the points of one training run, the unit the bootstrap resamples.
 */
public record FitPoint(String run, String objective, double n, double u, double d, double loss) {
    public FitPoint {
        if (!(n > 0 && u > 0 && d > 0 && loss > 0) || !Double.isFinite(n + u + d + loss)) {
            throw new IllegalArgumentException("run " + run + ": N, U, D and the loss must be positive and finite, not N=" + n + " U=" + u
                    + " D=" + d + " loss=" + loss);
        }
    }

    public double epochs() {
        return d / u;
    }
}
