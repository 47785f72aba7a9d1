package dev.quokka.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An evaluation's loss is the mean over its windows, and its standard error their spread over sqrt(windows). */
class ValidationTest {
    /** An engine whose loss for a row is its first input id, per position: known per-window losses. */
    static Engine byFirstToken(int rows, int length) {
        return new Engine() {
            @Override public ModelShape shape() { return new ModelShape(64, 8, 1, 2, 16, false); }
            @Override public int rows() { return rows; }
            @Override public int length() { return length; }
            @Override public Step step(Batch batch, double lr) { throw new UnsupportedOperationException(); }
            @Override public float[] logits(int[] inputs) { throw new UnsupportedOperationException(); }
            @Override public long updates() { return 0; }
            @Override public void save(DataOutputStream out) {}
            @Override public void load(DataInputStream in) {}

            @Override
            public double lossSum(Batch b) {
                double s = 0;
                for (double x : rowLossSums(b)) s += x;
                return s;
            }

            @Override
            public double[] rowLossSums(Batch b) {
                double[] sums = new double[b.rows()];
                for (int r = 0; r < b.rows(); r++) sums[r] = b.inputs()[r * b.length()] * (double) b.length();
                return sums;
            }
        };
    }

    @Test
    void theLossIsTheMeanOverWindowsAndTheErrorTheirSpread() {
        int length = 4;
        int[] firsts = {2, 4, 4, 4, 5, 5, 7, 9}; // mean 5
        // Windows of L+1 at stride L: window k begins with the last token of window k - 1, here firsts[k].
        int[] stream = new int[firsts.length * length + 1];
        for (int k = 0; k < firsts.length; k++) {
            stream[k * length] = firsts[k];
            for (int i = 1; i < length; i++) stream[k * length + i] = 1;
        }
        stream[stream.length - 1] = 1;
        Validation all = new Validation(List.of(stream), length + 1, 100, new Objective.Autoregressive(), 1, 3);
        assertEquals(firsts.length, all.windows());
        Validation.Result r = all.evaluate(byFirstToken(3, length));
        assertEquals(5.0, r.loss(), 1e-12);
        double sd = Math.sqrt((9 + 1 + 1 + 1 + 0 + 0 + 4 + 16) / 7.0);
        assertEquals(sd / Math.sqrt(firsts.length), r.standardError(), 1e-12);
    }

    /**
     * A change every window shares (the model got better or worse on all of them) has no error of its own: the
     * paired error sees only how unevenly the windows moved, however much they differ from each other.
     */
    @Test
    void theChangeErrorIsTheSpreadOfPairedDifferences() {
        double[] before = {2, 4, 4, 4, 5, 5, 7, 9};
        double[] shifted = new double[before.length], uneven = new double[before.length];
        double[] moves = {0.1, 0.3, 0.1, 0.3, 0.1, 0.3, 0.1, 0.3}; // mean 0.2, sd sqrt(0.08 / 7)
        for (int i = 0; i < before.length; i++) {
            shifted[i] = before[i] + 0.2;
            uneven[i] = before[i] + moves[i];
        }
        Validation.Result all = new Validation.Result(5.2, 0.76, shifted);
        assertEquals(0, all.changeError(before), 1e-12);
        assertTrue(all.standardError() > 0.5, "the windows themselves still differ");
        assertEquals(Math.sqrt(0.08 / 7) / Math.sqrt(8), new Validation.Result(5.2, 0.76, uneven).changeError(before), 1e-12);
        assertTrue(Double.isNaN(all.changeError(null)), "no earlier evaluation, no change");
    }
}
