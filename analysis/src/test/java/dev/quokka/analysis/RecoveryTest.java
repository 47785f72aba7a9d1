package dev.quokka.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Points drawn from a published law with 1% multiplicative noise are fitted back. */
class RecoveryTest {

    @Test
    void chinchillaExponentsComeBack() {
        ChinchillaLaw truth = ChinchillaLaw.EPOCH_AI;
        Random rng = new Random(1);
        List<FitPoint> points = new ArrayList<>();
        int run = 0;
        for (double n = 7e7; n < 2e10; n *= 1.8) {
            for (double tokensPerParameter : new double[] {2, 5, 10, 20, 40, 80, 160}) {
                double d = n * tokensPerParameter;
                points.add(new FitPoint("run" + run++, "ar", n, d, d, truth.loss(n, d, d) * Math.exp(0.01 * rng.nextGaussian())));
            }
        }
        long t0 = System.nanoTime();
        Fitter.Fit fit = Fitter.fit(new ChinchillaForm(), new FitData(points));
        System.out.printf("chinchilla: %d points, %.2f s, %s%n", points.size(), (System.nanoTime() - t0) / 1e9, fit.law());
        ChinchillaLaw c = (ChinchillaLaw) fit.law();
        Map<String, Bootstrap.Interval> ci = Bootstrap.intervals(fit, new FitData(points), 400, 3, 1 - 0.05 / 5);
        truth.constants().forEach((name, value) -> assertTrue(ci.get(name).contains(value), name + " = " + value + " outside " + ci.get(name)));
        assertEquals(truth.alpha(), c.alpha(), 0.05 * truth.alpha());
        assertEquals(truth.beta(), c.beta(), 0.05 * truth.beta());
        assertEquals(truth.e(), c.e(), 0.05 * truth.e());
    }

    @Test
    void quokkaComesBack() {
        QuokkaLaw truth = new QuokkaLaw(0.5, 1535.23, 0.42, 54.21, 0.13, 1.49, 0.3955, 254.35, 0.39, 0.55);
        Random rng = new Random(2);
        List<FitPoint> points = new ArrayList<>();
        int run = 0;
        for (double n = 1e7; n <= 2e9; n *= 2.5) {
            for (double u = 1e7; u <= 1e10; u *= 4) {
                String id = "run" + run++;
                for (double e = 1; e <= 800; e *= 1.6) {
                    points.add(new FitPoint(id, "dlm", n, u, u * e, truth.loss(n, u, u * e) * Math.exp(0.01 * rng.nextGaussian())));
                }
            }
        }
        long t0 = System.nanoTime();
        Fitter.Fit fit = Fitter.fit(new QuokkaForm(), new FitData(points));
        System.out.printf("quokka: %d points, %.2f s, objective %.4g, %s%n", points.size(), (System.nanoTime() - t0) / 1e9, fit.objective(), fit.law());
        QuokkaLaw q = (QuokkaLaw) fit.law();
        t0 = System.nanoTime();
        // Ten constants at once: Bonferroni-corrected intervals, so that all ten hold the truth with probability 95%.
        // (c_p and k_p are the least determined: log e_p is an extrapolation to N = U = 1.)
        Map<String, Bootstrap.Interval> ci = Bootstrap.intervals(fit, new FitData(points), 400, 7, 1 - 0.05 / 10);
        System.out.printf("bootstrap: %.2f s, %s%n", (System.nanoTime() - t0) / 1e9, ci);
        truth.constants().forEach((name, value) -> assertTrue(ci.get(name).contains(value), name + " = " + value + " outside " + ci.get(name)));
        assertEquals(truth.alpha(), q.alpha(), 0.05 * truth.alpha());
        assertEquals(truth.beta(), q.beta(), 0.05 * truth.beta());
        assertEquals(truth.gamma(), q.gamma(), 0.05 * truth.gamma());
        assertEquals(truth.kP(), q.kP(), 0.05 * truth.kP());
        assertEquals(truth.mP(), q.mP(), 0.05 * truth.mP());
    }

    @Test
    void muennighoffComesBackInTwoStages() {
        // As in the paper, the single-epoch points come from models no larger than compute-optimal for their U (stage 1
        // must not see excess parameters); the repeated-data runs span sizes on both sides of it.
        MuennighoffLaw truth = MuennighoffLaw.AR;
        Random rng = new Random(4);
        List<FitPoint> points = new ArrayList<>();
        for (double u : Synthetic.logSpace(1e8, 3e10, 6)) {
            double nOpt = truth.onePass().optimalParametersForOnePass(u);
            for (double n : new double[] {0.05 * nOpt, 0.2 * nOpt, nOpt, 4 * nOpt, 16 * nOpt}) {
                for (double e : new double[] {1, 2, 4, 8, 16, 32, 64}) {
                    if (e == 1 && n > nOpt) continue;
                    points.add(new FitPoint("N" + n + "-U" + u, "ar", n, u, u * e, truth.loss(n, u, u * e) * Math.exp(0.01 * rng.nextGaussian())));
                }
            }
        }
        FitData data = new FitData(points);
        TwoStage.Fit fit = TwoStage.fit(data, null);
        System.out.printf("muennighoff: %s%n", fit.law());
        Map<String, Bootstrap.Interval> ci = Bootstrap.intervals(fit.law(), data, 200, 5, 1 - 0.05 / 7, (d, w) -> TwoStage.refit(fit, d, w), null);
        truth.constants().forEach((name, value) -> assertTrue(ci.get(name).contains(value), name + " = " + value + " outside " + ci.get(name)));
        assertEquals(truth.rD(), fit.law().rD(), 0.15 * truth.rD());
        assertEquals(truth.rN(), fit.law().rN(), 0.15 * truth.rN());

        TwoStage.Fit given = TwoStage.fit(data, truth.onePass());
        assertEquals(truth.onePass(), given.law().onePass(), "stage 1 given, not refitted");
        assertEquals(truth.rD(), given.law().rD(), 0.1 * truth.rD());
    }
}
