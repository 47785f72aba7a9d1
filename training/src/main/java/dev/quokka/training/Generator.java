package dev.quokka.training;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Sampling from a trained model, for a quick look at what it learned. The window is the engine's length; the
 * engine must have one row.
 * <ul>
 *   <li>AR: left to right, one token per forward pass, from softmax(logits / temperature).</li>
 *   <li>Diffusion: start from the prompt followed by masks; each of {@code steps} rounds predicts every masked
 *   position, keeps the most confident predictions (an equal share of the remaining masks per round) and leaves
 *   the rest masked: LLaDA's low-confidence remasking.</li>
 * </ul>
 */
public final class Generator {
    private final Engine engine;
    private final int vocab;
    private final double temperature;
    private final SplittableRandom rng;

    public Generator(Engine engine, double temperature, long seed) {
        if (engine.rows() != 1) throw new IllegalArgumentException("generation needs an engine with one row");
        this.engine = engine;
        this.vocab = engine.shape().vocab();
        this.temperature = temperature;
        this.rng = new SplittableRandom(seed);
    }

    /** Continues {@code prompt} to {@code total} tokens (at most the window) left to right. */
    public int[] autoregressive(int[] prompt, int total) {
        int length = engine.length();
        if (prompt.length == 0 || prompt.length >= Math.min(total, length) + 1) throw new IllegalArgumentException("the prompt must hold 1 to " + (Math.min(total, length) - 1) + " tokens");
        int[] ids = Arrays.copyOf(prompt, length);
        int n = prompt.length;
        for (; n < Math.min(total, length); n++) {
            float[] logits = engine.logits(ids);
            ids[n] = sample(logits, (n - 1) * vocab);
        }
        return Arrays.copyOf(ids, n);
    }

    /** Fills the window after {@code prompt} by iterative unmasking in {@code steps} rounds. */
    public int[] diffusion(int[] prompt, int maskId, int steps) {
        int length = engine.length();
        if (prompt.length >= length) throw new IllegalArgumentException("the prompt must be shorter than the window of " + length);
        int[] ids = new int[length];
        Arrays.fill(ids, maskId);
        System.arraycopy(prompt, 0, ids, 0, prompt.length);
        int masked = length - prompt.length;
        for (int round = 0; round < steps && masked > 0; round++) {
            float[] logits = engine.logits(ids);
            int keep = (int) Math.ceil((double) masked / (steps - round));
            int[] choice = new int[length];
            double[] confidence = new double[length];
            Arrays.fill(confidence, Double.NEGATIVE_INFINITY);
            for (int i = 0; i < length; i++) {
                if (ids[i] != maskId) continue;
                choice[i] = sample(logits, i * vocab, maskId);
                confidence[i] = probability(logits, i * vocab, choice[i]);
            }
            for (int k = 0; k < keep; k++) {
                int best = -1;
                for (int i = 0; i < length; i++) if (confidence[i] > Double.NEGATIVE_INFINITY && (best < 0 || confidence[i] > confidence[best])) best = i;
                ids[best] = choice[best];
                confidence[best] = Double.NEGATIVE_INFINITY;
                masked--;
            }
        }
        return ids;
    }

    /**
     * Uniform-kernel diffusion: every position after {@code prompt} starts as a uniformly drawn token, and each of
     * {@code steps} rounds from t to s = t - 1/steps redraws it from the posterior with x_theta in place of x,
     * <pre>
     *   p(z_s = j | z_t) ∝ (alpha_t|s [j = z_t] + (1 - alpha_t|s) / V) (alpha_s x_theta(j) + (1 - alpha_s) / V)
     * </pre>
     * alpha_t|s = alpha_t / alpha_s; at s = 0 (alpha 1) the last round draws from x_theta as the noise allows.
     * x_theta is softmax(logits / temperature); at temperature 0 each round takes the posterior's most likely token.
     */
    public int[] uniformDiffusion(int[] prompt, MaskSchedule schedule, int steps) {
        int length = engine.length();
        if (prompt.length >= length) throw new IllegalArgumentException("the prompt must be shorter than the window of " + length);
        if (steps < 1) throw new IllegalArgumentException("steps must be positive");
        int[] ids = new int[length];
        for (int i = 0; i < length; i++) ids[i] = i < prompt.length ? prompt[i] : rng.nextInt(vocab);
        double[] posterior = new double[vocab];
        for (int round = 0; round < steps; round++) {
            double t = 1 - (double) round / steps, s = 1 - (double) (round + 1) / steps;
            double alphaT = schedule.alpha(t), alphaS = round == steps - 1 ? 1 : schedule.alpha(s), stay = alphaT / alphaS;
            float[] logits = engine.logits(ids);
            for (int i = prompt.length; i < length; i++) {
                double[] x = probabilities(logits, i * vocab);
                double sum = 0;
                for (int j = 0; j < vocab; j++) {
                    sum += posterior[j] = ((j == ids[i] ? stay : 0) + (1 - stay) / vocab) * (alphaS * x[j] + (1 - alphaS) / vocab);
                }
                ids[i] = draw(posterior, sum);
            }
        }
        return ids;
    }

    /** softmax(logits / temperature) over one position; one-hot at the argmax at temperature 0. */
    private double[] probabilities(float[] logits, int offset) {
        double[] p = new double[vocab];
        int best = 0;
        for (int v = 1; v < vocab; v++) if (logits[offset + v] > logits[offset + best]) best = v;
        if (temperature <= 0) {
            p[best] = 1;
            return p;
        }
        double sum = 0;
        for (int v = 0; v < vocab; v++) sum += p[v] = Math.exp((logits[offset + v] - logits[offset + best]) / temperature);
        for (int v = 0; v < vocab; v++) p[v] /= sum;
        return p;
    }

    /** An index drawn in proportion to {@code weights} (summing to {@code sum}); the largest at temperature 0. */
    private int draw(double[] weights, double sum) {
        int best = 0;
        for (int v = 1; v < weights.length; v++) if (weights[v] > weights[best]) best = v;
        if (temperature <= 0) return best;
        double u = rng.nextDouble() * sum;
        for (int v = 0; v < weights.length; v++) if ((u -= weights[v]) <= 0 && weights[v] > 0) return v;
        return best;
    }

    private int sample(float[] logits, int offset) {
        return sample(logits, offset, -1);
    }

    /** A token from softmax(logits / temperature) over one position, never {@code excluded}; argmax at temperature 0. */
    private int sample(float[] logits, int offset, int excluded) {
        int best = -1;
        for (int v = 0; v < vocab; v++) if (v != excluded && (best < 0 || logits[offset + v] > logits[offset + best])) best = v;
        if (temperature <= 0) return best;
        double max = logits[offset + best], sum = 0;
        double[] p = new double[vocab];
        for (int v = 0; v < vocab; v++) sum += p[v] = v == excluded ? 0 : Math.exp((logits[offset + v] - max) / temperature);
        double u = rng.nextDouble() * sum;
        for (int v = 0; v < vocab; v++) if ((u -= p[v]) <= 0 && p[v] > 0) return v;
        return best;
    }

    private double probability(float[] logits, int offset, int token) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int v = 0; v < vocab; v++) max = Math.max(max, logits[offset + v]);
        for (int v = 0; v < vocab; v++) sum += Math.exp(logits[offset + v] - max);
        return Math.exp(logits[offset + token] - max) / sum;
    }
}
