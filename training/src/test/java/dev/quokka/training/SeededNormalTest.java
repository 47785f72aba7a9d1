package dev.quokka.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The initial weights' generator: a function of (seed, stream) alone, and a standard normal. */
class SeededNormalTest {
    @Test
    void theSameSeedAndStreamGiveTheSameDraws() {
        for (long seed : new long[] {0, 1, -7, Long.MIN_VALUE}) {
            assertArrayEquals(new SeededNormal(seed, "l0.wq").doubles(1000, 1), new SeededNormal(seed, "l0.wq").doubles(1000, 1));
        }
    }

    @Test
    void seedsAndStreamsAreIndependent() {
        double[] a = new SeededNormal(0, "l0.wq").doubles(1000, 1);
        assertFalse(Arrays.equals(a, new SeededNormal(1, "l0.wq").doubles(1000, 1)));
        assertFalse(Arrays.equals(a, new SeededNormal(0, "l0.wk").doubles(1000, 1)));
        double[] b = new SeededNormal(0, "l0.wk").doubles(1000, 1);
        double corr = 0;
        for (int i = 0; i < a.length; i++) corr += a[i] * b[i];
        assertTrue(Math.abs(corr / a.length) < 0.1, "streams look uncorrelated: " + corr / a.length);
    }

    /**
     * The two building blocks against their published reference values: SplitMix64 seeded with 1234567 (Rosetta Code,
     * "Pseudo-random numbers/Splitmix64", from Vigna's splitmix64.c) and 64-bit FNV-1a (the FNV authors' test
     * vectors). If either changes, every run's initial weights change, and no earlier run can be reproduced.
     */
    @Test
    void splitMix64AndFnv1aGiveTheirReferenceValues() {
        SeededNormal g = new SeededNormal(1234567L);
        assertEquals(Long.parseUnsignedLong("6457827717110365317"), g.nextWord());
        assertEquals(Long.parseUnsignedLong("3203168211198807973"), g.nextWord());
        assertEquals(Long.parseUnsignedLong("9817491932198370423"), g.nextWord());
        assertEquals(Long.parseUnsignedLong("4593380528125082431"), g.nextWord());
        assertEquals(Long.parseUnsignedLong("16408922859458223821"), g.nextWord());
        assertEquals(0xcbf29ce484222325L, SeededNormal.fnv1a(""));
        assertEquals(0xaf63dc4c8601ec8cL, SeededNormal.fnv1a("a"));
        assertEquals(0x85944171f73967e8L, SeededNormal.fnv1a("foobar"));
    }

    @Test
    void theDrawsAreStandardNormal() {
        int n = 200_000;
        double[] x = new SeededNormal(42, "moments").doubles(n, 1);
        double mean = 0, sq = 0, fourth = 0;
        int beyond2 = 0;
        for (double v : x) {
            mean += v;
            sq += v * v;
            fourth += v * v * v * v;
            if (Math.abs(v) > 2) beyond2++;
        }
        mean /= n;
        double var = sq / n - mean * mean;
        assertEquals(0, mean, 0.01);
        assertEquals(1, var, 0.01);
        assertEquals(3, fourth / n, 0.06, "kurtosis");
        assertEquals(0.0455, (double) beyond2 / n, 0.002, "P(|x| > 2)");
        float[] scaled = new SeededNormal(42, "moments").floats(n, 0.02);
        assertEquals((float) (0.02 * x[17]), scaled[17]);
    }
}
