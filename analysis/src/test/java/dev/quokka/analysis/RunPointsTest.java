package dev.quokka.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * Second-descent truncation on loss curves by epoch. The noisy curves are shaped like cpu-turn's (BENCHMARKS.md): a
 * slow descent at a held learning rate with moves of about 1% between neighbouring epochs.
 */
class RunPointsTest {
    private static final int P = RunPoints.DEFAULT_PATIENCE;

    @Test
    void aUShapeIsKeptWhole() {
        double[] loss = curve(100, e -> 3 + (e - 30) * (e - 30) / 300.0, 0, 0);
        assertEquals(100, RunPoints.keep(loss, P));
    }

    @Test
    void aSecondDescentIsCutAtThePeakBeforeIt() {
        // the first minimum near epoch 40, a bump that peaks at epoch 60, then a descent below the first minimum
        IntToDoubleFunction bump = e -> 4 + 3 * Math.exp(-e / 10.0) + 0.4 * Math.exp(-Math.pow((e - 60) / 20.0, 2)) - 0.002 * Math.max(0, e - 60);
        double[] clean = curve(200, bump, 0, 0);
        int peak = 40; // the epoch of the bump's top: keep(...) is the number of epochs kept
        for (int e = 40; e <= 100; e++) if (clean[e - 1] > clean[peak - 1]) peak = e;
        int cleanCut = RunPoints.keep(clean, P);
        assertTrue(Math.abs(cleanCut - peak) <= 1, "cut after epoch " + cleanCut + ", the peak is at " + peak); // the smoothed curve's top, within one epoch
        for (long seed = 1; seed <= 10; seed++) {
            int cut = RunPoints.keep(curve(200, bump, 0.01, seed), P);
            assertTrue(Math.abs(cut - peak) <= 8, "seed " + seed + ": cut after epoch " + cut + ", far from the peak at " + peak);
        }
    }

    @Test
    void riseAndDescentMustEachLast() {
        // a rise that lasts two epochs, then a descent: a swing, not overfitting
        double[] swing = curve(60, e -> 4 + 3 * Math.exp(-e / 10.0) + (e == 30 || e == 31 ? 0.2 : 0), 0, 0);
        assertEquals(60, RunPoints.keep(swing, P));
        // a lasting rise, then the loss back under the first minimum's level for two epochs only: no descent
        double[] dip = curve(80, e -> 3 + (e - 30) * (e - 30) / 300.0 - (e == 60 || e == 61 ? 3.5 : 0), 0, 0);
        assertEquals(80, RunPoints.keep(dip, P));
    }

    /** A rule that took one boundary for a rise (the rule before this one) cut most of these curves long before they turned. */
    @Test
    void aNoisyDescentIsKeptWhole() {
        for (long seed = 1; seed <= 20; seed++) {
            assertEquals(200, RunPoints.keep(curve(200, e -> 4.0 + 3.0 * Math.exp(-e / 40.0), 0.008, seed), P), "seed " + seed);
        }
    }

    /** Nor is a noisy overfitting curve cut at its largest swing: it never comes back to its minimum. */
    @Test
    void aNoisyOverfittingCurveIsKeptWhole() {
        for (long seed = 1; seed <= 20; seed++) {
            assertEquals(200, RunPoints.keep(curve(200, e -> 4.0 + 3.0 * Math.exp(-e / 20.0) + 0.004 * e, 0.008, seed), P), "seed " + seed);
        }
    }

    @Test
    void theMovingMeanIsCentredAndShorterAtTheEnds() {
        assertArrayEquals(new double[] {1.5, 2, 3, 3.5}, RunPoints.movingMean(new double[] {1, 2, 3, 4}, 1), 1e-12);
    }

    @Test
    void thePatienceMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> RunPoints.keep(new double[] {1, 2}, 0));
    }

    /** Losses at epochs 1..epochs: the trend times (1 + relative x a standard normal draw). */
    private static double[] curve(int epochs, IntToDoubleFunction trend, double relative, long seed) {
        Random r = new Random(seed);
        double[] loss = new double[epochs];
        for (int e = 0; e < epochs; e++) loss[e] = trend.applyAsDouble(e + 1) * (1 + relative * r.nextGaussian());
        return loss;
    }
}
