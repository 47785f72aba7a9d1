package dev.quokka.training;

/**
 * One training or validation batch, row-major [rows, length]: the model reads {@code inputs}, predicts
 * {@code targets}, and the loss is sum(weights * CE) / (rows * length), in nats per token. Objectives differ only in
 * how they fill these (and in the attention mask).
 */
public record Batch(int rows, int length, int[] inputs, int[] targets, float[] weights) {
    public Batch {
        int n = rows * length;
        if (inputs.length != n || targets.length != n || weights.length != n) throw new IllegalArgumentException("arrays must hold rows * length values");
    }

    /** Row {@code r} alone, as a batch of one. */
    public Batch row(int r) {
        int from = r * length, to = from + length;
        return new Batch(1, length, java.util.Arrays.copyOfRange(inputs, from, to), java.util.Arrays.copyOfRange(targets, from, to),
                java.util.Arrays.copyOfRange(weights, from, to));
    }

    /** The loss this batch gives for per-position cross-entropies (same layout). */
    public double loss(double[] crossEntropy) {
        double sum = 0;
        for (int i = 0; i < weights.length; i++) sum += weights[i] * crossEntropy[i];
        return sum / weights.length;
    }
}
