package dev.quokka.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SchedulesTest {

    @ParameterizedTest
    @EnumSource(MaskSchedule.class)
    void weightIsMinusAlphaPrimeOverOneMinusAlpha(MaskSchedule s) {
        for (double t = 0.05; t < 1; t += 0.05) {
            double h = 1e-6;
            double alphaPrime = (s.alpha(t + h) - s.alpha(t - h)) / (2 * h);
            assertEquals(-alphaPrime / (1 - s.alpha(t)), s.weight(t), 1e-6 * s.weight(t), s + " at t=" + t);
            assertEquals(alphaPrime, s.alphaPrime(t), 1e-6, s + "'s alpha' at t=" + t);
        }
        assertEquals(0, s.maskProbability(0), 1e-12);
        assertEquals(1, s.maskProbability(1), 1e-12);
    }

    @ParameterizedTest
    @EnumSource(MaskSchedule.class)
    void everyPositionHasExpectedWeightOne(MaskSchedule s) {
        // E_t[m(t) w(t)] = 1: with a constant cross-entropy the ELBO equals it, whatever the schedule.
        int n = 200_000;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double t = (i + 0.5) / n;
            sum += s.maskProbability(t) * s.weight(t);
        }
        assertEquals(1, sum / n, 1e-3);
    }

    @Test
    void cosineLearningRate() {
        LrSchedule lr = LrSchedule.cosine(2e-4, 2e-5, 10, 110);
        assertEquals(2e-5, lr.at(0), 1e-12);
        assertEquals(2e-4, lr.at(9), 1e-12);
        assertEquals((2e-4 + 2e-5) / 2, lr.at(60), 1e-12);
        assertEquals(2e-5, lr.at(110), 1e-12);
        for (long s = 10; s < 110; s++) assertTrue(lr.at(s + 1) <= lr.at(s));
    }

    @Test
    void warmupStableDecay() {
        LrSchedule linear = LrSchedule.wsd(2e-4, 2e-5, 10, 80, 100, LrSchedule.Decay.LINEAR);
        LrSchedule exp = LrSchedule.wsd(2e-4, 2e-5, 10, 80, 100, LrSchedule.Decay.EXPONENTIAL);
        for (long s = 10; s < 80; s++) assertEquals(2e-4, linear.at(s), 0);
        assertEquals((2e-4 + 2e-5) / 2, linear.at(90), 1e-12);
        assertEquals(Math.sqrt(2e-4 * 2e-5), exp.at(90), 1e-12); // geometric halfway
        assertEquals(2e-5, exp.at(100), 1e-12);
    }
}
