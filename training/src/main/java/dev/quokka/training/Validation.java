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

    /**
     * @param documents held-out documents (each ending with end-of-document), packed into windows of L+1 at stride L
     */
    public Validation(List<int[]> documents, int window, int maxWindows, Objective objective, int samples, int rows) {
        List<int[]> windows = windows(documents, window, maxWindows);
        if (windows.isEmpty()) throw new IllegalArgumentException("the validation set holds less than one window of " + window + " tokens");
        Batch all = objective.validation(windows.toArray(int[][]::new), samples, SEED);
        for (int r = 0; r < all.rows(); r += rows) {
            batches.add(all.rows(r, Math.min(r + rows, all.rows())));
        }
        this.windows = windows.size();
        this.rowsPerWindow = all.rows() / windows.size();
    }

    private final int windows, rowsPerWindow;

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

    /**
     * An evaluation: the loss in nats per token, and its standard error, from the spread of the per-window losses
     * (each window's mean over its K noise levels, for the DLM): se = sd(window losses) / sqrt(windows). It measures
     * how far the estimate may lie from the loss on all held-out text. {@code windows} are the per-window losses.
     */
    public record Result(double loss, double standardError, double[] windows) {
        /**
         * The standard error of the change from an earlier evaluation of the same windows and noise levels:
         * sd(window_now - window_before) / sqrt(windows). Both see the same windows and the same noise, so what they
         * share cancels: this, not {@link #standardError()}, says whether a rise between two evaluations is more than
         * the choice of windows (a rise of 2-3 of it is). NaN without an earlier evaluation.
         */
        public double changeError(double[] before) {
            if (before == null || before.length != windows.length || windows.length < 2) return Double.NaN;
            double mean = 0;
            for (int i = 0; i < windows.length; i++) mean += windows[i] - before[i];
            mean /= windows.length;
            double squares = 0;
            for (int i = 0; i < windows.length; i++) {
                double d = windows[i] - before[i] - mean;
                squares += d * d;
            }
            return Math.sqrt(squares / (windows.length - 1) / windows.length);
        }
    }

    /** Nats per token, the mean over the windows. */
    public double loss(Engine engine) {
        return evaluate(engine).loss();
    }

    public Result evaluate(Engine engine) {
        double[] perWindow = new double[windows];
        int row = 0;
        for (Batch b : batches) {
            for (double s : engine.rowLossSums(b)) perWindow[row++ / rowsPerWindow] += s / ((double) rowsPerWindow * b.length());
        }
        double mean = 0;
        for (double x : perWindow) mean += x;
        mean /= windows;
        double squares = 0;
        for (double x : perWindow) squares += (x - mean) * (x - mean);
        double se = windows > 1 ? Math.sqrt(squares / (windows - 1) / windows) : Double.NaN;
        return new Result(mean, se, perWindow);
    }
}
