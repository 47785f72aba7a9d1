package dev.quokka.training.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quokka.training.AdamW;
import dev.quokka.training.Batch;
import dev.quokka.training.Engine;
import dev.quokka.training.MaskSchedule;
import dev.quokka.training.ModelShape;
import dev.quokka.training.Objective;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The uniform kernel's ELBO bounds the model's exact NLL. The model is a real transformer, small enough (V = 3,
 * L = 3: 27 sequences) that everything can be enumerated: its denoiser x_theta(z) at every state, the reverse-time
 * Markov chain those define (one token changes at a time, from j to y at rate beta_t / V x̄θ_y / x̄θ_j, beta_t =
 * -alpha'_t / alpha_t), run from the uniform distribution at t = 1 to t = 0 for the exact p_theta(x), and the ELBO
 * integrated over t and summed over every noisy state. The ELBO here is written in the score-entropy form of Lou et
 * al. (SEDD), sum over y != z of s_y - r_y log s_y + r_y (log r_y - 1) with s and r the model's and the true ratios
 * x̄θ_y / x̄θ_z and x̄_y / x̄_z, not in the form the objective uses, so that the two check each other.
 */
@Tag("slow")
@ExtendWith(DoublePrecision.class)
class UniformKernelTest {
    static final int V = 3, L = 3, STATES = 27;
    static final MaskSchedule SCHEDULE = MaskSchedule.LINEAR;
    static double[][][] denoiser; // [state][position][token]: x_theta of the engine at every noisy state
    static SameDiffEngine engine;

    @BeforeAll
    static void model() {
        engine = new SameDiffEngine(new ModelShape(V, 8, 1, 2, 12, false), STATES, L, false, Objective.Loss.UNIFORM_ELBO,
                AdamW.papers(), 3, DataType.DOUBLE);
        // Weights of N(0, 0.6^2) rather than the 0.02 init, so that x_theta is peaked and depends on the context.
        SplittableRandom rng = new SplittableRandom(11);
        Map<String, Engine.Weights> w = new LinkedHashMap<>();
        engine.parameters().forEach((name, p) -> {
            float[] values = new float[p.values().length];
            for (int i = 0; i < values.length; i++) values[i] = (float) ((name.contains("Norm") ? 1 : 0) + 0.6 * gaussian(rng));
            w.put(name, new Engine.Weights(p.shape(), values));
        });
        engine.setParameters(w);
        int[] all = new int[STATES * L];
        for (int s = 0; s < STATES; s++) System.arraycopy(sequence(s), 0, all, s * L, L);
        float[] logits = engine.logits(all);
        denoiser = new double[STATES][L][V];
        for (int s = 0; s < STATES; s++) for (int l = 0; l < L; l++) {
            int o = (s * L + l) * V;
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int v = 0; v < V; v++) max = Math.max(max, logits[o + v]);
            for (int v = 0; v < V; v++) sum += denoiser[s][l][v] = Math.exp(logits[o + v] - max);
            for (int v = 0; v < V; v++) denoiser[s][l][v] /= sum;
        }
    }

    @Test
    void theElboBoundsTheExactNllOfEverySequence() {
        double[] p = exactDistribution();
        double total = 0;
        for (double q : p) total += q;
        assertEquals(1, total, 1e-9, "the reverse chain keeps probability");
        for (int x = 0; x < STATES; x++) {
            double nll = -Math.log(p[x]), elbo = elbo(x, 1e-9);
            assertTrue(elbo >= nll - 1e-6, "sequence " + x + ": ELBO " + elbo + " below the NLL " + nll);
        }
    }

    /**
     * The training path (the objective's batches, the engine's loss graph) estimates the same ELBO: every
     * sequence's validation rows, at 256 stratified times, average to the integral within 4 standard errors.
     */
    @Test
    void theObjectiveAndTheEngineEstimateThatElbo() {
        Objective.UniformDiffusion objective = new Objective.UniformDiffusion(V, SCHEDULE, Objective.Weighting.ELBO, 1e-3, null, 0);
        int k = 256;
        int[][] windows = new int[STATES][];
        for (int s = 0; s < STATES; s++) windows[s] = java.util.Arrays.copyOf(sequence(s), L + 1);
        Batch all = objective.validation(windows, k, 5);
        double[] rowSums = new double[all.rows()];
        for (int r = 0; r < all.rows(); r += STATES) {
            double[] part = engine.rowLossSums(all.rows(r, Math.min(r + STATES, all.rows())));
            System.arraycopy(part, 0, rowSums, r, part.length);
        }
        for (int x = 0; x < STATES; x++) {
            double sum = 0, squares = 0;
            for (int j = 0; j < k; j++) {
                double v = rowSums[x * k + j];
                sum += v;
                squares += v * v;
            }
            double mean = sum / k, se = Math.sqrt((squares / k - mean * mean) / (k - 1));
            double exact = elbo(x, 1e-3) / (1 - 1e-3); // t = (1 - eps) u + eps: the estimator's density on [eps, 1]
            assertEquals(exact, mean, 4 * se + 1e-3, "sequence " + x + " (se " + se + ")");
        }
    }

    /**
     * Row by row, the engine's loss (the objective's coefficients in the graph) is the score entropy of the row's
     * noisy state: the same number, not only the same expectation.
     */
    @Test
    void theEngineLossIsTheScoreEntropyOfEveryNoisyRow() {
        Objective.UniformDiffusion objective = new Objective.UniformDiffusion(V, SCHEDULE, Objective.Weighting.ELBO, 1e-3, null, 0);
        int[][] windows = new int[STATES][];
        for (int s = 0; s < STATES; s++) windows[s] = java.util.Arrays.copyOf(sequence(s), L + 1);
        for (long seed = 1; seed <= 4; seed++) {
            Batch b = objective.validation(windows, 8, seed);
            int changed = 0;
            for (int r = 0; r < b.rows(); r += STATES) {
                Batch part = b.rows(r, r + STATES);
                double[] sums = engine.rowLossSums(part);
                for (int i = 0; i < STATES; i++) {
                    int[] z = java.util.Arrays.copyOfRange(part.inputs(), i * L, (i + 1) * L), x = java.util.Arrays.copyOfRange(part.targets(), i * L, (i + 1) * L);
                    double alpha = part.uniform().alpha()[i * L];
                    double expected = 0;
                    for (int l = 0; l < L; l++) {
                        expected += scoreEntropy(denoiser[state(z)][l], x[l], z[l], alpha, SCHEDULE.alphaPrime(1 - alpha)); // linear: t = 1 - alpha
                        if (z[l] != x[l]) changed++;
                    }
                    assertEquals(expected, sums[i], 1e-4 * Math.max(1, expected), "row " + (r + i) + " at alpha " + alpha);
                }
            }
            assertTrue(changed > 0 && changed < b.rows() * L, "some positions redrawn to another token, not all");
        }
    }

    /** (beta_t / V) sum over y != z of s_y - r_y log s_y + r_y (log r_y - 1), beta_t = -alpha'_t / alpha_t. */
    static double scoreEntropy(double[] denoiser, int clean, int z, double alpha, double alphaPrime) {
        double[] model = xbar(denoiser, alpha), truth = xbar(oneHot(clean), alpha);
        double entropy = 0;
        for (int y = 0; y < V; y++) {
            if (y == z) continue;
            double sy = model[y] / model[z], ry = truth[y] / truth[z];
            entropy += sy - ry * Math.log(sy) + ry * (Math.log(ry) - 1);
        }
        return -alphaPrime / alpha / V * entropy;
    }

    /** p_theta(x): the reverse chain run by RK4 from the uniform distribution near t = 1 down to t = 0. */
    static double[] exactDistribution() {
        double[] p = new double[STATES];
        java.util.Arrays.fill(p, 1.0 / STATES);
        double t = 1 - 1e-7;
        while (t > 0) {
            double h = Math.min(Math.min(1e-3, 0.02 * (1 - t)), t);
            double[] k1 = drift(p, t), k2 = drift(axpy(p, h / 2, k1), t - h / 2), k3 = drift(axpy(p, h / 2, k2), t - h / 2), k4 = drift(axpy(p, h, k3), t - h);
            for (int s = 0; s < STATES; s++) p[s] += h / 6 * (k1[s] + 2 * k2[s] + 2 * k3[s] + k4[s]);
            t -= h;
            if (t < 1e-12) t = 0;
        }
        return p;
    }

    /** dp / d(-t) under the reverse rates at time t. */
    static double[] drift(double[] p, double t) {
        double alpha = SCHEDULE.alpha(t), beta = -SCHEDULE.alphaPrime(t) / alpha;
        double[] dp = new double[STATES];
        for (int s = 0; s < STATES; s++) {
            int[] z = sequence(s);
            for (int l = 0; l < L; l++) {
                double[] xbar = xbar(denoiser[s][l], alpha);
                for (int y = 0; y < V; y++) {
                    if (y == z[l]) continue;
                    double rate = beta / V * xbar[y] / xbar[z[l]];
                    int[] to = z.clone();
                    to[l] = y;
                    dp[state(to)] += p[s] * rate;
                    dp[s] -= p[s] * rate;
                }
            }
        }
        return dp;
    }

    /** The ELBO of x in nats over t in [from, 1]: the integral of the expected score entropy, by Simpson's rule in log t below 0.5. */
    static double elbo(int x, double from) {
        double lo = Math.log(from), hi = Math.log(0.5);
        int n = 4000; // even
        double sum = 0;
        for (int i = 0; i <= n; i++) {
            double u = lo + (hi - lo) * i / n, t = Math.exp(u);
            sum += (i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2) * integrand(x, t) * t;
        }
        double low = sum * (hi - lo) / n / 3;
        double a = 0.5, b = 1 - 1e-9;
        sum = 0;
        for (int i = 0; i <= n; i++) {
            double t = a + (b - a) * i / n;
            sum += (i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2) * integrand(x, t);
        }
        return low + sum * (b - a) / n / 3;
    }

    /** E over z ~ q_t(z | x) of the summed score entropy of its positions. */
    static double integrand(int x, double t) {
        double alpha = SCHEDULE.alpha(t), alphaPrime = SCHEDULE.alphaPrime(t);
        int[] clean = sequence(x);
        double total = 0;
        for (int s = 0; s < STATES; s++) {
            int[] z = sequence(s);
            double q = 1;
            for (int l = 0; l < L; l++) q *= (z[l] == clean[l] ? alpha : 0) + (1 - alpha) / V;
            for (int l = 0; l < L; l++) total += q * scoreEntropy(denoiser[s][l], clean[l], z[l], alpha, alphaPrime);
        }
        return total;
    }

    static double[] xbar(double[] x, double alpha) {
        double[] out = new double[V];
        for (int v = 0; v < V; v++) out[v] = V * alpha * x[v] + 1 - alpha;
        return out;
    }

    static double[] oneHot(int v) {
        double[] x = new double[V];
        x[v] = 1;
        return x;
    }

    static double[] axpy(double[] p, double h, double[] k) {
        double[] out = p.clone();
        for (int s = 0; s < STATES; s++) out[s] += h * k[s];
        return out;
    }

    static int[] sequence(int s) {
        int[] z = new int[L];
        for (int l = L - 1; l >= 0; l--, s /= V) z[l] = s % V;
        return z;
    }

    static int state(int[] z) {
        int s = 0;
        for (int v : z) s = s * V + v;
        return s;
    }

    static double gaussian(SplittableRandom rng) {
        return Math.sqrt(-2 * Math.log(1 - rng.nextDouble())) * Math.cos(2 * Math.PI * rng.nextDouble());
    }
}
