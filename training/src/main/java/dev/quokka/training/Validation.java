package dev.quokka.training;

import java.util.ArrayList;
import java.util.List;

/**
 * The held-out loss, in nats per token, on a fixed set of windows: the exact NLL for AR, and for the diffusion model
 * the ELBO estimated with K stratified noise levels per window and a fixed seed, so that it never changes between
 * evaluations of the same parameters.
 */
public final class Validation {
    static final long SEED = 0x5eed_0f_7a1L;
    private final List<Batch> batches = new ArrayList<>();
    private final long positions;

    /**
     * @param documents held-out documents (each ending with end-of-document), packed into windows of L+1 at stride L
     */
    public Validation(List<int[]> documents, int window, int maxWindows, Objective objective, int samples, int rows) {
        List<int[]> windows = windows(documents, window, maxWindows);
        if (windows.isEmpty()) throw new IllegalArgumentException("the validation set holds less than one window of " + window + " tokens");
        Batch all = objective instanceof Objective.MaskedDiffusion dlm
                ? dlm.validation(windows.toArray(int[][]::new), samples, SEED)
                : ((Objective.Autoregressive) objective).batch(windows.toArray(int[][]::new));
        int l = window - 1;
        for (int r = 0; r < all.rows(); r += rows) {
            int n = Math.min(rows, all.rows() - r);
            int from = r * l, to = (r + n) * l;
            batches.add(new Batch(n, l, java.util.Arrays.copyOfRange(all.inputs(), from, to),
                    java.util.Arrays.copyOfRange(all.targets(), from, to), java.util.Arrays.copyOfRange(all.weights(), from, to)));
        }
        positions = (long) all.rows() * l;
        this.windows = windows.size();
    }

    private final int windows;

    /** Windows of L+1 tokens at stride L over the documents' concatenation, as the study packs training sequences. */
    static List<int[]> windows(List<int[]> documents, int window, int max) {
        List<int[]> out = new ArrayList<>();
        int[] w = new int[window];
        int fill = 0;
        for (int[] doc : documents) {
            for (int t : doc) {
                w[fill++] = t;
                if (fill == window) {
                    out.add(w.clone());
                    if (out.size() == max) return out;
                    w[0] = w[window - 1]; // the next window starts with this one's last token
                    fill = 1;
                }
            }
        }
        return out;
    }

    public int windows() {
        return windows;
    }

    /** Nats per token: the weighted loss summed over every batch, over all positions. */
    public double loss(Engine engine) {
        double sum = 0;
        for (Batch b : batches) sum += engine.lossSum(b);
        return sum / positions;
    }
}
