package dev.quokka.training;

import java.util.SplittableRandom;

/**
 * How a batch of sequences (windows of L+1 tokens from the study) becomes inputs, targets and per-token weights.
 * The autoregressive and masked-diffusion objectives see the same tokens in the same shape [B, L].
 */
public sealed interface Objective permits Objective.Autoregressive, Objective.MaskedDiffusion {

    /** Builds a training batch; {@code progress} is the fraction of training done (for curricula). */
    Batch train(int[][] windows, SplittableRandom rng, double progress);

    /** Whether attention is causal. */
    boolean causal();

    /**
     * The validation batch of held-out {@code windows}, the same at every evaluation: each window {@code samples}
     * times at fixed noise levels drawn from {@code seed} for an estimator that samples noise (the DLM's ELBO), or
     * once for an exact one (AR's NLL). Its rows come window by window.
     */
    Batch validation(int[][] windows, int samples, long seed);

    /** What the run manifest says of this objective besides its name: its options and its validation estimator. */
    java.util.Map<String, Object> describe(int samples);

    /** Next-token prediction on every position: inputs w[0, L), targets w[1, L], weight 1. Exact NLL. */
    record Autoregressive() implements Objective {
        @Override
        public Batch train(int[][] windows, SplittableRandom rng, double progress) {
            return batch(windows);
        }

        /** Validation is the training batch itself: the exact NLL, needing no samples and no seed. */
        @Override
        public Batch validation(int[][] windows, int samples, long seed) {
            return batch(windows);
        }

        @Override
        public java.util.Map<String, Object> describe(int samples) {
            return java.util.Map.of("validation", "exact next-token NLL");
        }

        public Batch batch(int[][] windows) {
            int b = windows.length, l = windows[0].length - 1;
            int[] in = new int[b * l], out = new int[b * l];
            float[] w = new float[b * l];
            for (int r = 0; r < b; r++) {
                System.arraycopy(windows[r], 0, in, r * l, l);
                System.arraycopy(windows[r], 1, out, r * l, l);
            }
            java.util.Arrays.fill(w, 1f);
            return new Batch(b, l, in, out, w);
        }

        @Override
        public boolean causal() {
            return true;
        }
    }

    /** How the masked tokens of a row are weighted. */
    enum Weighting {
        /** ELBO with the schedule's w(t). */
        ELBO,
        /** ELBO with the realised masked fraction in place of t: each row's weights sum to L (released code). */
        ELBO_REALISED,
        /** MaskGIT: no ELBO weight, the mean cross-entropy over the batch's masked tokens. */
        MASKGIT
    }

    /**
     * A clean-to-noisy curriculum: until {@code ramp} of training, t is drawn from a Gaussian of width {@code width}
     * whose mean moves from {@code start} to 1; afterwards t is uniform.
     */
    record Curriculum(double start, double ramp, double width) implements java.io.Serializable {
        public Curriculum {
            if (!(start >= 0 && start <= 1) || !(ramp > 0 && ramp <= 1) || !(width > 0)) {
                throw new IllegalArgumentException("a curriculum needs start in [0, 1], ramp in (0, 1] and width > 0, not "
                        + start + ", " + ramp + ", " + width);
            }
        }

        double sample(SplittableRandom rng, double progress) {
            if (progress >= ramp) return rng.nextDouble();
            double mean = start + (1 - start) * progress / ramp;
            return Math.min(1, Math.max(1e-6, mean + width * gaussian(rng)));
        }
    }

    /**
     * Absorbing-state masked diffusion (docs/objective.md): the model sees w[0, L) with masked positions replaced by
     * {@code maskId}, attends bidirectionally, and predicts the masked tokens. t is drawn per row (with an optional
     * floor eps: t = (1 - eps) u + eps); each position is masked with probability m(t); a row with no mask gets one,
     * as in the released code. That forced mask biases the ELBO upwards by E[(1 - m)^L w] / L: at L = 64 and
     * eps = 1e-3 about 4% for the linear schedule and 15% for poly2 (ObjectiveTest computes it exactly).
     *
     * @param variableLength with this probability per batch, all rows are cut to a random length in [2, L]
     *                       (the released code's 0.01); the engine pads them back and hides the padding
     */
    record MaskedDiffusion(int maskId, MaskSchedule schedule, Weighting weighting, double eps, Curriculum curriculum,
                           double variableLength) implements Objective {
        public MaskedDiffusion {
            if (eps < 0 || eps >= 1) throw new IllegalArgumentException("eps must be in [0, 1)");
            if (!(variableLength >= 0 && variableLength <= 1)) throw new IllegalArgumentException("the variable-length probability must be in [0, 1]");
            if (weighting == Weighting.ELBO_REALISED && schedule != MaskSchedule.LINEAR) {
                throw new IllegalArgumentException("the realised-fraction weight stands in for t only with the linear schedule");
            }
        }

        public static MaskedDiffusion standard(int maskId) {
            return new MaskedDiffusion(maskId, MaskSchedule.LINEAR, Weighting.ELBO, 1e-3, null, 0);
        }

        @Override
        public Batch train(int[][] windows, SplittableRandom rng, double progress) {
            int l = windows[0].length - 1;
            if (variableLength > 0 && rng.nextDouble() < variableLength) l = 2 + rng.nextInt(l - 1);
            double[] t = new double[windows.length];
            for (int r = 0; r < t.length; r++) {
                double u = curriculum == null ? rng.nextDouble() : curriculum.sample(rng, progress);
                t[r] = (1 - eps) * u + eps;
            }
            return mask(windows, l, t, rng);
        }

        /**
         * The deterministic validation batch: every sequence K times, at the stratified times t_k = (k + u) / K with u
         * drawn once per sequence from {@code seed}, so the ELBO estimate has low variance and never changes.
         */
        @Override
        public Batch validation(int[][] windows, int k, long seed) {
            int l = windows[0].length - 1;
            int[][] rows = new int[windows.length * k][];
            double[] t = new double[rows.length];
            SplittableRandom rng = new SplittableRandom(seed);
            for (int s = 0; s < windows.length; s++) {
                double u = rng.nextDouble();
                for (int j = 0; j < k; j++) {
                    rows[s * k + j] = windows[s];
                    t[s * k + j] = (1 - eps) * ((j + u) / k) + eps;
                }
            }
            return mask(rows, l, t, rng);
        }

        @Override
        public java.util.Map<String, Object> describe(int samples) {
            java.util.Map<String, Object> o = new java.util.LinkedHashMap<>();
            o.put("mask_schedule", schedule.name().toLowerCase());
            o.put("t_floor", eps);
            o.put("weighting", switch (weighting) {
                case ELBO -> "ELBO, weight w(t) of the sampled t";
                case ELBO_REALISED -> "ELBO, weight 1 / realised masked fraction";
                case MASKGIT -> "MaskGIT: mean cross-entropy over masked tokens";
            });
            if (curriculum != null) o.put("curriculum", curriculum);
            o.put("variable_length", variableLength);
            o.put("validation", "ELBO with " + samples + " stratified t per sequence, fixed seed");
            return o;
        }

        private Batch mask(int[][] windows, int l, double[] t, SplittableRandom rng) {
            int b = windows.length;
            int[] in = new int[b * l], out = new int[b * l];
            float[] w = new float[b * l];
            int totalMasked = 0;
            for (int r = 0; r < b; r++) {
                int base = r * l;
                System.arraycopy(windows[r], 0, out, base, l);
                System.arraycopy(windows[r], 0, in, base, l);
                double m = schedule.maskProbability(t[r]);
                boolean[] isMasked = new boolean[l]; // not in[] == maskId: a document may hold that id
                int masked = 0;
                for (int i = 0; i < l; i++) {
                    if (rng.nextDouble() < m) {
                        isMasked[i] = true;
                        masked++;
                    }
                }
                if (masked == 0) { // the released code masks one position in a row that got none
                    isMasked[rng.nextInt(l)] = true;
                    masked = 1;
                }
                totalMasked += masked;
                float weight = switch (weighting) {
                    case ELBO -> (float) schedule.weight(t[r]);
                    case ELBO_REALISED -> (float) l / masked;
                    case MASKGIT -> 1f; // scaled below, over the whole batch
                };
                for (int i = 0; i < l; i++) {
                    if (isMasked[i]) {
                        in[base + i] = maskId;
                        w[base + i] = weight;
                    }
                }
            }
            if (weighting == Weighting.MASKGIT) {
                float scale = (float) b * l / totalMasked;
                for (int i = 0; i < w.length; i++) w[i] *= scale;
            }
            return new Batch(b, l, in, out, w);
        }

        @Override
        public boolean causal() {
            return false;
        }
    }

    private static double gaussian(SplittableRandom rng) {
        double u1 = 1 - rng.nextDouble(), u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
