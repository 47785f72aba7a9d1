package dev.quokka.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ObjectiveTest {
    static final int MASK = 999;

    static int[][] windows(int b, int l, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[][] w = new int[b][l + 1];
        for (int[] row : w) for (int i = 0; i <= l; i++) row[i] = rng.nextInt(500);
        return w;
    }

    @Test
    void autoregressiveShiftsByOne() {
        int[][] w = windows(3, 8, 1);
        Batch b = new Objective.Autoregressive().train(w, new SplittableRandom(0), 0);
        assertEquals(8, b.length());
        for (int r = 0; r < 3; r++) {
            assertArrayEquals(Arrays.copyOfRange(w[r], 0, 8), Arrays.copyOfRange(b.inputs(), r * 8, r * 8 + 8));
            assertArrayEquals(Arrays.copyOfRange(w[r], 1, 9), Arrays.copyOfRange(b.targets(), r * 8, r * 8 + 8));
        }
        for (float x : b.weights()) assertEquals(1f, x);
    }

    @ParameterizedTest
    @EnumSource(MaskSchedule.class)
    void maskedPositionsAreTheOnlyWeightedOnesAndEveryRowHasOne(MaskSchedule s) {
        Objective.MaskedDiffusion dlm = new Objective.MaskedDiffusion(MASK, s, Objective.Weighting.ELBO, 1e-3, null, 0);
        int[][] w = windows(400, 16, 2);
        Batch b = dlm.train(w, new SplittableRandom(3), 0);
        assertEquals(16, b.length(), "same shape as AR");
        for (int r = 0; r < 400; r++) {
            int masked = 0;
            for (int i = 0; i < 16; i++) {
                int k = r * 16 + i;
                assertEquals(w[r][i], b.targets()[k], "targets are x0, no shift");
                boolean m = b.inputs()[k] == MASK;
                if (m) masked++;
                else assertEquals(w[r][i], b.inputs()[k]);
                assertEquals(m, b.weights()[k] > 0);
            }
            assertTrue(masked >= 1, "row " + r);
        }
    }

    @ParameterizedTest
    @EnumSource(MaskSchedule.class)
    void theLossHasTheExpectationTheMathSays(MaskSchedule s) {
        // With every cross-entropy equal to 1, the ELBO alone would give exactly 1 (E[m w] = 1). Forcing a mask into
        // a row that drew none adds (1 - m)^L w / L per position: a bias upwards, largest where w is large at small t.
        int l = 64;
        double eps = 1e-3, expected = 0;
        int grid = 2_000_000;
        for (int i = 0; i < grid; i++) {
            double p = (1 - eps) * (i + 0.5) / grid + eps;
            double m = s.maskProbability(p);
            expected += (m * s.weight(p) + Math.pow(1 - m, l) * s.weight(p) / l) / grid;
        }
        Objective.MaskedDiffusion dlm = new Objective.MaskedDiffusion(MASK, s, Objective.Weighting.ELBO, eps, null, 0);
        SplittableRandom rng = new SplittableRandom(4);
        double sum = 0;
        int batches = 3000;
        for (int i = 0; i < batches; i++) {
            Batch b = dlm.train(windows(8, l, i), rng, 0);
            double[] ones = new double[b.weights().length];
            Arrays.fill(ones, 1);
            sum += b.loss(ones);
        }
        assertEquals(expected, sum / batches, 0.04 * expected, s.name() + ": expected " + expected);
        assertTrue(expected >= 1 && expected < (s == MaskSchedule.POLY2 ? 1.2 : 1.06), s + " bias " + expected);
    }

    @Test
    void realisedFractionAndMaskGitNormalise() {
        int[][] w = windows(6, 32, 5);
        Batch realised = new Objective.MaskedDiffusion(MASK, MaskSchedule.LINEAR, Objective.Weighting.ELBO_REALISED, 1e-3, null, 0)
                .train(w, new SplittableRandom(6), 0);
        for (int r = 0; r < 6; r++) {
            double rowSum = 0;
            for (int i = 0; i < 32; i++) rowSum += realised.weights()[r * 32 + i];
            assertEquals(32, rowSum, 1e-3, "each row's weights sum to L");
        }
        Batch maskgit = new Objective.MaskedDiffusion(MASK, MaskSchedule.COSINE, Objective.Weighting.MASKGIT, 1e-3, null, 0)
                .train(w, new SplittableRandom(6), 0);
        double total = 0;
        for (float x : maskgit.weights()) total += x;
        assertEquals(6 * 32, total, 1e-2, "the batch's weights sum to B L: a mean over its masked tokens");

        // Validated with the ELBO all the same: the batch the ELBO-weighted objective makes, position for position.
        Batch maskgitValidation = new Objective.MaskedDiffusion(MASK, MaskSchedule.COSINE, Objective.Weighting.MASKGIT, 1e-3, null, 0).validation(w, 4, 9);
        Batch elboValidation = new Objective.MaskedDiffusion(MASK, MaskSchedule.COSINE, Objective.Weighting.ELBO, 1e-3, null, 0).validation(w, 4, 9);
        assertArrayEquals(elboValidation.inputs(), maskgitValidation.inputs());
        assertArrayEquals(elboValidation.weights(), maskgitValidation.weights());
    }

    @Test
    void validationIsDeterministicAndStratified() {
        Objective.MaskedDiffusion dlm = Objective.MaskedDiffusion.standard(MASK);
        int[][] w = windows(5, 64, 7);
        Batch a = dlm.validation(w, 8, 11), b = dlm.validation(w, 8, 11), c = dlm.validation(w, 8, 12);
        assertEquals(40, a.rows());
        assertArrayEquals(a.inputs(), b.inputs());
        assertArrayEquals(a.weights(), b.weights());
        assertNotEquals(Arrays.toString(a.inputs()), Arrays.toString(c.inputs()));
        // Stratified: sequence 0's eight copies mask increasing shares of positions, from few to most.
        int first = 0, last = 0;
        for (int i = 0; i < 64; i++) {
            if (a.inputs()[i] == MASK) first++;
            if (a.inputs()[7 * 64 + i] == MASK) last++;
        }
        assertTrue(first < 16 && last > 40, first + " then " + last);
    }

    @Test
    void variableLengthAndCurriculum() {
        Objective.MaskedDiffusion varlen = new Objective.MaskedDiffusion(MASK, MaskSchedule.LINEAR, Objective.Weighting.ELBO, 1e-3, null, 1.0);
        Batch b = varlen.train(windows(4, 64, 8), new SplittableRandom(9), 0);
        assertTrue(b.length() >= 2 && b.length() < 64, "length " + b.length());
        Objective.MaskedDiffusion curriculum = new Objective.MaskedDiffusion(MASK, MaskSchedule.LINEAR, Objective.Weighting.ELBO, 1e-3,
                new Objective.Curriculum(0.1, 0.5, 0.05), 0);
        double early = maskedShare(curriculum, 0.0), late = maskedShare(curriculum, 0.45);
        assertTrue(early < 0.2 && late > 0.8, early + " then " + late);
    }

    private static double maskedShare(Objective.MaskedDiffusion dlm, double progress) {
        Batch b = dlm.train(windows(200, 64, 10), new SplittableRandom(11), progress);
        int m = 0;
        for (int x : b.inputs()) if (x == MASK) m++;
        return (double) m / b.inputs().length;
    }

    /**
     * The uniform kernel's coefficients give, for any model, the ELBO's integrand in the score-entropy form (Lou et
     * al.): (beta_t / V) sum over y != z of s_y - r_y log s_y + r_y (log r_y - 1), s and r the model's and the true
     * ratios x̄_y / x̄_z, beta_t = -alpha'_t / alpha_t. At every schedule, for z = x and z != x; and 0 for a model
     * that knows x.
     */
    @ParameterizedTest
    @EnumSource(MaskSchedule.class)
    void uniformTermsAreTheScoreEntropy(MaskSchedule s) {
        int v = 5;
        SplittableRandom rng = new SplittableRandom(9);
        for (double t : new double[] {0.01, 0.2, 0.5, 0.8, 0.97}) {
            double alpha = s.alpha(t), alphaPrime = s.alphaPrime(t);
            for (int trial = 0; trial < 20; trial++) {
                double[] p = new double[v];
                double total = 0;
                for (int i = 0; i < v; i++) total += p[i] = -Math.log(1 - rng.nextDouble());
                for (int i = 0; i < v; i++) p[i] /= total;
                int x = rng.nextInt(v), z = trial % 2 == 0 ? x : (x + 1 + rng.nextInt(v - 1)) % v;
                double[] model = new double[v], truth = new double[v];
                for (int i = 0; i < v; i++) {
                    model[i] = v * alpha * p[i] + 1 - alpha;
                    truth[i] = v * alpha * (i == x ? 1 : 0) + 1 - alpha;
                }
                double expected = 0;
                for (int y = 0; y < v; y++) {
                    if (y == z) continue;
                    double sy = model[y] / model[z], ry = truth[y] / truth[z];
                    expected += sy - ry * Math.log(sy) + ry * (Math.log(ry) - 1);
                }
                expected *= -alphaPrime / alpha / v;
                // The terms are float32 and cancel: the error is float rounding of the largest of them.
                double[] loss = uniformLoss(v, alpha, alphaPrime, x, z, model), known = uniformLoss(v, alpha, alphaPrime, x, z, truth);
                assertEquals(expected, loss[0], 1e-6 * Math.max(1, expected) + 1e-6 * loss[1], s + " t " + t + " x " + x + " z " + z);
                assertEquals(0, known[0], 1e-6 * known[1], s + " t " + t + ": a model that knows x");
            }
        }
    }

    /** The loss the graph computes from the terms, given x̄θ, and the sum of its terms' sizes. */
    static double[] uniformLoss(int v, double alpha, double alphaPrime, int x, int z, double[] xbarModel) {
        Batch.UniformTerms terms = new Batch.UniformTerms(1);
        Objective.UniformDiffusion.elboTerms(v, alpha, alphaPrime, z == x, terms, 0);
        double sum = 0;
        for (double m : xbarModel) sum += Math.log(m);
        double[] parts = {terms.exp()[0] * Math.exp(-Math.log(xbarModel[z])), terms.noisy()[0] * Math.log(xbarModel[z]),
                terms.target()[0] * Math.log(xbarModel[x]), terms.sum()[0] * sum, terms.constant()[0]};
        double loss = 0, size = 0;
        for (double p : parts) {
            loss += p;
            size += Math.abs(p);
        }
        return new double[] {loss, size};
    }

    /** Tokens are redrawn with probability 1 - alpha_t, uniformly over the vocabulary; the kernel trains on its ELBO alone. */
    @Test
    void uniformKernelRedrawsAtTheScheduleRate() {
        int v = 50, l = 64;
        int[][] windows = new int[400][l + 1];
        for (int[] w : windows) Arrays.fill(w, 7);
        Objective.UniformDiffusion elbo = new Objective.UniformDiffusion(v, MaskSchedule.POLY2, Objective.Weighting.ELBO, 1e-3, null, 0);
        Batch b = elbo.train(windows, new SplittableRandom(4), 0);
        double expectedChanged = 0, changed = 0;
        int[] counts = new int[v];
        for (int r = 0; r < b.rows(); r++) {
            double alpha = b.uniform().alpha()[r * l];
            expectedChanged += l * (1 - alpha) * (v - 1) / v;
            for (int i = 0; i < l; i++) {
                int z = b.inputs()[r * l + i];
                counts[z]++;
                if (z != 7) changed++;
                assertEquals(7, b.targets()[r * l + i]);
                assertEquals(0, b.weights()[r * l + i]);
            }
        }
        assertEquals(expectedChanged, changed, 4 * Math.sqrt(expectedChanged), "tokens changed");
        for (int z = 0; z < v; z++) if (z != 7) assertTrue(counts[z] > 0.5 * changed / (v - 1) && counts[z] < 1.5 * changed / (v - 1), "token " + z + ": " + counts[z]);

        for (Objective.Weighting w : List.of(Objective.Weighting.MASKGIT, Objective.Weighting.ELBO_REALISED)) {
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> new Objective.UniformDiffusion(v, MaskSchedule.LINEAR, w, 1e-3, null, 0), w.toString());
        }
    }
}
