package dev.quokka.training;

import java.util.Arrays;

/**
 * One training or validation batch, row-major [rows, length]: the model reads {@code inputs} and predicts
 * {@code targets}. The loss is sum(weights * CE) / (rows * length), in nats per token, for every objective but the
 * uniform kernel's ELBO, whose per-position terms {@code uniform} carries instead (its weights are 0). Objectives
 * differ only in how they fill these (and in the attention mask).
 *
 * @param uniform the uniform kernel's ELBO terms, or null
 */
public record Batch(int rows, int length, int[] inputs, int[] targets, float[] weights, UniformTerms uniform) {
    public Batch {
        int n = rows * length;
        if (inputs.length != n || targets.length != n || weights.length != n) throw new IllegalArgumentException("arrays must hold rows * length values");
        if (uniform != null && uniform.alpha().length != n) throw new IllegalArgumentException("the uniform terms must hold rows * length values");
    }

    /** A cross-entropy batch. */
    public Batch(int rows, int length, int[] inputs, int[] targets, float[] weights) {
        this(rows, length, inputs, targets, weights, null);
    }

    /**
     * The uniform-state kernel's ELBO at every position (docs/objective.md, "Uniform kernel"), as a function of
     * the model's log x̄θ = log(V alpha softmax(logits) + 1 - alpha) at the position's noisy input z, at its clean
     * target x, and summed over the vocabulary:
     * <pre>
     *   loss_i = exp_i e^(-log x̄θ[z]) + noisy_i log x̄θ[z] + target_i log x̄θ[x] + sum_i sum_v log x̄θ[v] + constant_i
     * </pre>
     * Everything that depends on t, and on whether z = x, sits in the coefficients, computed by the objective.
     * Padding positions have every coefficient 0.
     */
    public record UniformTerms(float[] alpha, float[] exp, float[] noisy, float[] target, float[] sum, float[] constant) {
        public UniformTerms {
            int n = alpha.length;
            for (float[] c : new float[][] {exp, noisy, target, sum, constant}) {
                if (c.length != n) throw new IllegalArgumentException("every coefficient needs one value per position");
            }
        }

        public UniformTerms(int n) {
            this(new float[n], new float[n], new float[n], new float[n], new float[n], new float[n]);
        }

        /** The coefficient arrays in a fixed order: exp, noisy, target, sum, constant. */
        public float[][] coefficients() {
            return new float[][] {exp, noisy, target, sum, constant};
        }

        /** Positions [from, to). */
        public UniformTerms range(int from, int to) {
            return new UniformTerms(Arrays.copyOfRange(alpha, from, to), Arrays.copyOfRange(exp, from, to), Arrays.copyOfRange(noisy, from, to),
                    Arrays.copyOfRange(target, from, to), Arrays.copyOfRange(sum, from, to), Arrays.copyOfRange(constant, from, to));
        }
    }

    /** Row {@code r} alone, as a batch of one. */
    public Batch row(int r) {
        return rows(r, r + 1);
    }

    /** Rows [from, to) as a batch. */
    public Batch rows(int from, int to) {
        int a = from * length, b = to * length;
        return new Batch(to - from, length, Arrays.copyOfRange(inputs, a, b), Arrays.copyOfRange(targets, a, b), Arrays.copyOfRange(weights, a, b),
                uniform == null ? null : uniform.range(a, b));
    }

    /** The loss this batch gives for per-position cross-entropies (same layout); not for the uniform kernel's ELBO. */
    public double loss(double[] crossEntropy) {
        if (uniform != null) throw new IllegalStateException("the uniform kernel's ELBO is not a weighted cross-entropy");
        double sum = 0;
        for (int i = 0; i < weights.length; i++) sum += weights[i] * crossEntropy[i];
        return sum / weights.length;
    }
}
