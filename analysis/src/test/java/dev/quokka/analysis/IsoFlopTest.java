package dev.quokka.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Approach 1 (IsoFLOP profiles) and the allocations it is compared with: Quokka's Tables 1, 2 and 5. */
class IsoFlopTest {
    /** Quokka Table 2 (approach 1) and Table 5 (approach 2): N, then FLOPs and tokens for each (docs/laws.md). */
    private static final double[][] TABLES = {
            {400e6, 9.46e19, 39.3e9, 1.06e20, 44.3e9},
            {1e9, 5.62e20, 93.5e9, 6.68e20, 111.2e9},
            {10e9, 4.96e22, 825.2e9, 6.74e22, 1.1e12},
            {67e9, 2.01e24, 5.0e12, 3.05e24, 7.6e12},
            {175e9, 1.30e25, 12.4e12, 2.09e25, 19.9e12},
            {280e9, 3.24e25, 19.3e12, 5.35e25, 31.8e12},
            {520e9, 1.08e26, 34.6e12, 1.85e26, 59.3e12},
            {1e12, 3.86e26, 64.2e12, 6.86e26, 114.3e12},
            {10e12, 3.41e28, 566.4e12, 6.93e28, 1153.9e12},
    };

    @Test
    void quokkasApproachOneReproducesTable2() {
        ComputeAllocation a = ComputeAllocation.published("quokka-dlm-isoflop");
        for (double[] row : TABLES) {
            double c = a.budgetFor(row[0]);
            assertEquals(row[1], c, 0.02 * row[1], "FLOPs for N = " + row[0]);
            assertEquals(row[2], a.dOpt(c), 0.02 * row[2], "tokens for N = " + row[0]);
        }
    }

    /**
     * Approach 2 from Eq. 13's printed constants: Table 1's row, and Table 5 to within the printed constants' rounding:
     * Table 5 was computed from unrounded coefficients, and the printed ones give FLOPs and tokens 2.4-4.1% lower.
     */
    @Test
    void quokkasApproachTwoGivesTable1AndTable5() {
        ComputeAllocation a = ComputeAllocation.published("quokka-dlm-compute");
        assertEquals(0.4993, a.a(), 5e-5);
        assertEquals(0.5007, a.b(), 5e-5);
        assertEquals(0.0405, a.kN(), 5e-5);
        assertEquals(4.11, a.kD(), 5e-3);
        assertEquals(1.0 / 6, a.kN() * a.kD(), 1e-9, "D = C / 6N exactly");
        for (double[] row : TABLES) {
            double c = a.budgetFor(row[0]);
            assertEquals(row[3], c, 0.045 * row[3], "FLOPs for N = " + row[0]);
            assertEquals(row[4], a.dOpt(c), 0.045 * row[4], "tokens for N = " + row[0]);
        }
    }

    @Test
    void profilesOfAKnownLawGiveItsAllocation() {
        ChinchillaLaw truth = ChinchillaLaw.EPOCH_AI;
        ComputeAllocation expected = ComputeAllocation.of(truth);
        List<FitPoint> points = profiles(truth, new double[] {1e18, 3e18, 1e19, 3e19, 1e20, 3e20}, 0, 0, new Random(1));
        IsoFlop.Fit fit = IsoFlop.fit(points, IsoFlop.DEFAULT_TOLERANCE, 0, 1, 0.95);
        assertEquals(6, fit.minima().size());
        assertEquals(expected.a(), fit.allocation().a(), 0.01);
        assertEquals(expected.b(), fit.allocation().b(), 0.01);
        for (IsoFlop.Minimum m : fit.minima()) {
            assertEquals(expected.nOpt(m.budget()), m.nOpt(), 0.05 * m.nOpt(), "N_opt at " + m.budget());
        }
    }

    /** Points only near their budgets (+-20%, as read off a figure) and noisy losses: grouped right, and the truth inside the intervals. */
    @Test
    void jitteredNoisyProfilesAreGroupedAndCoverTheTruth() {
        ChinchillaLaw truth = ChinchillaLaw.EPOCH_AI;
        ComputeAllocation expected = ComputeAllocation.of(truth);
        List<FitPoint> points = profiles(truth, new double[] {1e18, 3e18, 1e19, 3e19, 1e20, 3e20, 1e21}, 0.2, 0.003, new Random(5));
        IsoFlop.Fit fit = IsoFlop.fit(points, IsoFlop.DEFAULT_TOLERANCE, 200, 3, 0.95);
        assertEquals(7, fit.minima().size() + fit.excluded().size(), "one group per budget");
        assertTrue(fit.minima().size() >= 5, fit.excluded().toString());
        Bootstrap.Interval a = fit.intervals().get("a");
        assertTrue(a.low() <= expected.a() && expected.a() <= a.high(), "a = " + expected.a() + " outside " + a);
        assertTrue(a.high() - a.low() < 0.2, "a loose interval: " + a);
    }

    /**
     * The recovery check: Quokka's Eq. 13 at nine budgets from 1e18 to 1e21, seven sizes each (2x apart around
     * the optimum), 1% noise on the loss: a and b come back within 0.02 of 0.499 and 0.501. k_N does not come back
     * within the 15% in general: ln k_N is the fitted line's value at ln C = 0, about 45 units of ln C below
     * the data, so an error of 0.003 in a moves k_N by 15%, and at 1% noise a's own error is about 0.009 (docs/laws.md).
     * What the fit owes is an honest interval for it: k_N lies inside its bootstrap interval.
     */
    @Test
    void eq13IsRecoveredFromNoisyProfiles() {
        ComputeAllocation truth = ComputeAllocation.of(ChinchillaLaw.QUOKKA_DLM);
        double[] budgets = new double[9];
        for (int i = 0; i < 9; i++) budgets[i] = Math.pow(10, 18 + 3.0 * i / 8);
        for (long seed = 1; seed <= 5; seed++) {
            IsoFlop.Fit fit = IsoFlop.fit(profiles(ChinchillaLaw.QUOKKA_DLM, budgets, 0, 0.01, new Random(seed)), IsoFlop.DEFAULT_TOLERANCE, 200, seed, 0.95);
            assertEquals(0.499, fit.allocation().a(), 0.02, "seed " + seed);
            assertEquals(0.501, fit.allocation().b(), 0.02, "seed " + seed);
            Bootstrap.Interval k = fit.intervals().get("k_N");
            assertTrue(k.low() <= truth.kN() && truth.kN() <= k.high(), "seed " + seed + ": k_N " + truth.kN() + " outside " + k);
        }
    }

    @Test
    void budgetsWithoutABracketedMinimumAreExcludedAndSaySo() {
        ChinchillaLaw truth = ChinchillaLaw.EPOCH_AI;
        List<FitPoint> points = new ArrayList<>(profiles(truth, new double[] {1e18, 1e19, 1e20}, 0, 0, new Random(2)));
        double c = 1e21, n = ComputeAllocation.of(truth).nOpt(c);
        for (double f : new double[] {4, 8, 16}) points.add(point(truth, c, f * n)); // all larger than N_opt
        points.add(point(truth, 1e22, n));
        points.add(point(truth, 1e22, 2 * n)); // two sizes only
        IsoFlop.Fit fit = IsoFlop.fit(points, IsoFlop.DEFAULT_TOLERANCE, 0, 1, 0.95);
        assertEquals(3, fit.minima().size());
        assertEquals(2, fit.excluded().size());
        assertTrue(fit.excluded().get(0).reason().contains("below its sizes"), fit.excluded().toString());
        assertTrue(fit.excluded().get(1).reason().contains("2 model sizes"), fit.excluded().toString());
    }

    @Test
    void oneBracketedBudgetIsNotALaw() {
        List<FitPoint> points = profiles(ChinchillaLaw.EPOCH_AI, new double[] {1e19}, 0, 0, new Random(3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IsoFlop.fit(points, 0.25, 0, 1, 0.95));
        assertTrue(e.getMessage().contains("a power law needs two"), e.getMessage());
    }

    /** Seven sizes per budget, spaced by 2x around the law's N_opt, with C jittered and the loss multiplied by noise. */
    /** Minima that shrink as C grows make no allocation: the error names them instead of a constructor's complaint. */
    @Test
    void minimaThatDoNotGrowWithComputeAreNamed() {
        List<FitPoint> points = new java.util.ArrayList<>();
        double[][] budgets = {{1e18, 4e7}, {1e19, 2e7}};
        for (double[] b : budgets) {
            for (int k = -3; k <= 3; k++) {
                double n = b[1] * Math.pow(2, k), d = b[0] / (6 * n), x = Math.log(n / b[1]);
                points.add(new FitPoint("r" + points.size(), "ar", n, d, d, 3 + 0.1 * x * x));
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IsoFlop.fit(points, 0.25, 20, 1, 0.95));
        assertTrue(e.getMessage().contains("(N_opt 40M at 1.00e+18, N_opt 20M at 1.00e+19) do not give N_opt and D_opt both growing with C"), e.getMessage());
    }

    private static List<FitPoint> profiles(ChinchillaLaw law, double[] budgets, double jitter, double noise, Random rng) {
        List<FitPoint> points = new ArrayList<>();
        ComputeAllocation optimum = ComputeAllocation.of(law);
        for (double c : budgets) {
            for (int k = -3; k <= 3; k++) {
                double cc = c * (1 + jitter * (2 * rng.nextDouble() - 1)), n = optimum.nOpt(c) * Math.pow(2, k);
                FitPoint p = point(law, cc, n);
                points.add(new FitPoint(p.run(), p.objective(), p.n(), p.u(), p.d(), p.loss() * (1 + noise * rng.nextGaussian())));
            }
        }
        return points;
    }

    private static FitPoint point(ChinchillaLaw law, double c, double n) {
        double d = c / (6 * n);
        return new FitPoint(String.format("%.3g_%.3g", c, n), "dlm", n, d, d, law.loss(n, d, d));
    }
}
