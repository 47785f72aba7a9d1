package dev.quokka.training;

import java.util.SplittableRandom;

/**
 * How a batch of sequences (windows of L+1 tokens from the study) becomes inputs, targets and per-token weights.
 * The autoregressive and masked-diffusion objectives see the same tokens in the same shape [B, L].
 */
public sealed interface Objective permits Objective.Autoregressive, Objective.MaskedDiffusion, Objective.UniformDiffusion {

    /** Builds a training batch; {@code progress} is the fraction of training done (for curricula). */
    Batch train(int[][] windows, SplittableRandom rng, double progress);

    /** Whether attention is causal. */
    boolean causal();

    /** What the model's graph computes from its logits for this objective's batches. */
    enum Loss {
        /** sum(weights * CE) / N: every objective but one. */
        CROSS_ENTROPY,
        /** The uniform kernel's ELBO, from {@link Batch.UniformTerms}. */
        UNIFORM_ELBO
    }

    default Loss loss() {
        return Loss.CROSS_ENTROPY;
    }

    /** Where the diffusion objective's corrupted tokens go: to the absorbing mask, or to a uniformly drawn token. */
    enum Kernel { MASK, UNIFORM }

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
            int l = trainLength(windows, variableLength, rng);
            return mask(windows, l, trainTimes(windows.length, rng, progress, eps, curriculum), rng);
        }

        /**
         * The deterministic validation batch: every sequence K times, at the stratified times t_k = (k + u) / K with u
         * drawn once per sequence from {@code seed}, so the ELBO estimate has low variance and never changes.
         */
        /**
         * Validation is an ELBO whatever the training weighting (docs/objective.md): MaskGIT's loss is no bound on the
         * NLL, so a MaskGIT run is validated with w(t), and its loss compares with the ELBO-trained runs'.
         */
        @Override
        public Batch validation(int[][] windows, int k, long seed) {
            SplittableRandom rng = new SplittableRandom(seed);
            double[] t = validationTimes(windows.length, k, eps, rng);
            MaskedDiffusion elbo = weighting == Weighting.MASKGIT ? new MaskedDiffusion(maskId, schedule, Weighting.ELBO, eps, curriculum, variableLength) : this;
            return elbo.mask(repeat(windows, k), windows[0].length - 1, t, rng);
        }

        @Override
        public java.util.Map<String, Object> describe(int samples) {
            java.util.Map<String, Object> o = new java.util.LinkedHashMap<>();
            o.put("kernel", "mask");
            o.put("mask_schedule", schedule.name().toLowerCase());
            o.put("t_floor", eps);
            o.put("weighting", switch (weighting) {
                case ELBO -> "ELBO, weight w(t) of the sampled t";
                case ELBO_REALISED -> "ELBO, weight 1 / realised masked fraction";
                case MASKGIT -> "MaskGIT: mean cross-entropy over masked tokens";
            });
            if (curriculum != null) o.put("curriculum", curriculum);
            o.put("variable_length", variableLength);
            o.put("validation", (weighting == Weighting.MASKGIT ? "ELBO (weight w(t))" : "ELBO") + " with " + samples
                    + " stratified t per sequence, fixed seed");
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

    /**
     * Uniform-state discrete diffusion (docs/objective.md, "Uniform kernel"; UDLM, Schiff et al. 2024): at time t
     * each token survives with probability alpha_t and is otherwise replaced by a token drawn uniformly from the V of
     * the vocabulary (possibly itself). The model sees the noisy sequence z_t, attends bidirectionally, has no time
     * input, and predicts x_0 everywhere: x_theta = softmax(logits). The loss is the continuous-time ELBO, per position
     * with x̄ = V alpha_t x + (1 - alpha_t) (and x̄θ likewise from x_theta), i = z_t:
     * <pre>
     *   alpha'_t / (V alpha_t) [ V / x̄_i - V / x̄θ_i - sum_j (x̄_j / x̄_i) log(x̄θ_i x̄_j / (x̄θ_j x̄_i)) ]
     * </pre>
     * ({@link #elboTerms} writes it as {@link Batch.UniformTerms}). It trains on that ELBO alone ({@link
     * Weighting#ELBO}): the realised fraction and MaskGIT's loss are the masked kernel's. There is no forced
     * corruption. Times, schedules, curriculum, variable length and validation are the masked kernel's.
     */
    record UniformDiffusion(int vocab, MaskSchedule schedule, Weighting weighting, double eps, Curriculum curriculum,
                            double variableLength) implements Objective {
        public UniformDiffusion {
            if (vocab < 2) throw new IllegalArgumentException("the uniform kernel needs a vocabulary of at least 2");
            if (!(eps > 0 && eps < 1)) throw new IllegalArgumentException("the uniform kernel needs a t floor in (0, 1): its ELBO weight is infinite at t = 0");
            if (!(variableLength >= 0 && variableLength <= 1)) throw new IllegalArgumentException("the variable-length probability must be in [0, 1]");
            if (weighting != Weighting.ELBO) {
                throw new IllegalArgumentException("--weighting " + weighting.name().toLowerCase() + " is the mask kernel's; the uniform kernel trains on its ELBO");
            }
        }

        @Override
        public Loss loss() {
            return Loss.UNIFORM_ELBO;
        }

        @Override
        public Batch train(int[][] windows, SplittableRandom rng, double progress) {
            int l = trainLength(windows, variableLength, rng);
            return corrupt(windows, l, trainTimes(windows.length, rng, progress, eps, curriculum), rng);
        }

        @Override
        public Batch validation(int[][] windows, int k, long seed) {
            SplittableRandom rng = new SplittableRandom(seed);
            double[] t = validationTimes(windows.length, k, eps, rng);
            return corrupt(repeat(windows, k), windows[0].length - 1, t, rng);
        }

        @Override
        public java.util.Map<String, Object> describe(int samples) {
            java.util.Map<String, Object> o = new java.util.LinkedHashMap<>();
            o.put("kernel", "uniform");
            o.put("mask_schedule", schedule.name().toLowerCase());
            o.put("t_floor", eps);
            o.put("weighting", "continuous-time ELBO of uniform-state diffusion");
            if (curriculum != null) o.put("curriculum", curriculum);
            o.put("variable_length", variableLength);
            o.put("validation", "ELBO with " + samples + " stratified t per sequence, fixed seed");
            return o;
        }

        private Batch corrupt(int[][] windows, int l, double[] t, SplittableRandom rng) {
            int b = windows.length, n = b * l;
            int[] in = new int[n], out = new int[n];
            Batch.UniformTerms terms = new Batch.UniformTerms(n);
            for (int r = 0; r < b; r++) {
                double alpha = schedule.alpha(t[r]), alphaPrime = schedule.alphaPrime(t[r]);
                for (int i = 0; i < l; i++) {
                    int p = r * l + i, x = windows[r][i];
                    int z = rng.nextDouble() >= alpha ? rng.nextInt(vocab) : x;
                    in[p] = z;
                    out[p] = x;
                    elboTerms(vocab, alpha, alphaPrime, z == x, terms, p);
                }
            }
            return new Batch(b, l, in, out, new float[n], terms);
        }

        /**
         * One position's ELBO as {@link Batch.UniformTerms}: with c = -alpha' / (V alpha) > 0, a = x̄_x = V alpha + 1 -
         * alpha and b = x̄_j = 1 - alpha (j != x), and L = log x̄θ, S = sum_v L_v, the bracket above is, when z = x,
         * <pre>  V e^(-L_x) + (b/a) V L_x - (b/a) S + (b/a) (V - 1) log(b/a) - V / a</pre>
         * and when z != x,
         * <pre>  V e^(-L_z) + (a/b + V - 1) L_z + (1 - a/b) L_x - S + (a/b) log(a/b) - V / b</pre>
         * Both vanish when x̄θ = x̄. {@code ObjectiveTest} checks them against the bracket summed term by term.
         */
        public static void elboTerms(int vocab, double alpha, double alphaPrime, boolean unchanged, Batch.UniformTerms into, int p) {
            double v = vocab, c = -alphaPrime / (v * alpha), a = v * alpha + 1 - alpha, b = 1 - alpha;
            into.alpha()[p] = (float) alpha;
            into.exp()[p] = (float) (c * v);
            if (unchanged) {
                double ba = b / a;
                into.noisy()[p] = (float) (c * ba * v);
                into.target()[p] = 0;
                into.sum()[p] = (float) (-c * ba);
                into.constant()[p] = (float) (c * (ba * (v - 1) * Math.log(ba) - v / a));
            } else {
                double ab = a / b;
                into.noisy()[p] = (float) (c * (ab + v - 1));
                into.target()[p] = (float) (c * (1 - ab));
                into.sum()[p] = (float) -c;
                into.constant()[p] = (float) (c * (ab * Math.log(ab) - v / b));
            }
        }

        @Override
        public boolean causal() {
            return false;
        }
    }

    /** The length of a training batch: L, or with probability {@code variableLength} a random length in [2, L]. */
    private static int trainLength(int[][] windows, double variableLength, SplittableRandom rng) {
        int l = windows[0].length - 1;
        if (variableLength > 0 && rng.nextDouble() < variableLength) l = 2 + rng.nextInt(l - 1);
        return l;
    }

    /** A training batch's times, one per row: t = (1 - eps) u + eps, u uniform or from the curriculum. */
    private static double[] trainTimes(int rows, SplittableRandom rng, double progress, double eps, Curriculum curriculum) {
        double[] t = new double[rows];
        for (int r = 0; r < rows; r++) {
            double u = curriculum == null ? rng.nextDouble() : curriculum.sample(rng, progress);
            t[r] = (1 - eps) * u + eps;
        }
        return t;
    }

    /**
     * The validation times: every window K times, at the stratified t_k = (k + u) / K (floored like training's), u
     * drawn once per window, so the ELBO estimate has low variance and never changes.
     */
    private static double[] validationTimes(int windows, int k, double eps, SplittableRandom rng) {
        double[] t = new double[windows * k];
        for (int s = 0; s < windows; s++) {
            double u = rng.nextDouble();
            for (int j = 0; j < k; j++) t[s * k + j] = (1 - eps) * ((j + u) / k) + eps;
        }
        return t;
    }

    /** Every window k times in a row. */
    private static int[][] repeat(int[][] windows, int k) {
        int[][] rows = new int[windows.length * k][];
        for (int s = 0; s < windows.length; s++) for (int j = 0; j < k; j++) rows[s * k + j] = windows[s];
        return rows;
    }

    private static double gaussian(SplittableRandom rng) {
        double u1 = 1 - rng.nextDouble(), u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
