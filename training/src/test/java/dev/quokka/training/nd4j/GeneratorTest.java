package dev.quokka.training.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quokka.training.AdamW;
import dev.quokka.training.Batch;
import dev.quokka.training.Engine;
import dev.quokka.training.Generator;
import dev.quokka.training.MaskSchedule;
import dev.quokka.training.ModelShape;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class GeneratorTest {
    static final ModelShape SHAPE = new ModelShape(13, 8, 1, 2, 12, false);
    static final int MASK = 12;

    @Test
    void diffusionUnmasksEverythingAfterThePromptAndRepeatsForASeed() {
        SameDiffEngine engine = SameDiffEngine.create(SHAPE, 1, 10, false, AdamW.papers(), 1);
        int[] prompt = {3, 4, 5};
        int[] a = new Generator(engine, 0.8, 7).diffusion(prompt, MASK, 3);
        int[] b = new Generator(engine, 0.8, 7).diffusion(prompt, MASK, 3);
        assertArrayEquals(a, b);
        assertEquals(10, a.length);
        assertArrayEquals(prompt, Arrays.copyOf(a, 3));
        assertTrue(Arrays.stream(a).noneMatch(t -> t == MASK), Arrays.toString(a));
    }

    @Test
    void autoregressiveExtendsThePromptGreedilyAndDeterministically() {
        SameDiffEngine engine = SameDiffEngine.create(SHAPE, 1, 10, true, AdamW.papers(), 1);
        int[] a = new Generator(engine, 0, 1).autoregressive(new int[] {2}, 6);
        assertEquals(6, a.length);
        assertEquals(2, a[0]);
        assertArrayEquals(a, new Generator(engine, 0, 99).autoregressive(new int[] {2}, 6), "greedy ignores the seed");
    }

    /**
     * With a denoiser that always says pi, whatever it reads, the uniform kernel's sampler draws each token from pi:
     * every round is the exact posterior of data drawn from pi, so the marginals stay those of the forward process
     * at every t, in one round as in many.
     */
    @Test
    void uniformDiffusionDrawsFromTheDenoisersDistribution() {
        double[] pi = {0.55, 0.25, 0.12, 0.05, 0.03};
        Engine fixed = fixedDenoiser(pi, 12);
        for (int steps : new int[] {1, 6}) {
            Generator g = new Generator(fixed, 1.0, 3);
            int[] counts = new int[pi.length];
            int draws = 0;
            for (int sample = 0; sample < 400; sample++) {
                int[] out = g.uniformDiffusion(new int[] {4, 4}, MaskSchedule.LINEAR, steps);
                assertEquals(4, out[0]);
                assertEquals(4, out[1]);
                for (int i = 2; i < out.length; i++, draws++) counts[out[i]]++;
            }
            for (int v = 0; v < pi.length; v++) {
                double se = Math.sqrt(pi[v] * (1 - pi[v]) / draws);
                assertEquals(pi[v], (double) counts[v] / draws, 4 * se, steps + " rounds, token " + v);
            }
        }
        int[] a = new Generator(fixed, 0.8, 5).uniformDiffusion(new int[] {1}, MaskSchedule.COSINE, 4);
        assertArrayEquals(a, new Generator(fixed, 0.8, 5).uniformDiffusion(new int[] {1}, MaskSchedule.COSINE, 4), "the same seed, the same sample");
    }

    /** An engine of one row whose logits are log pi at every position. */
    static Engine fixedDenoiser(double[] pi, int length) {
        ModelShape shape = new ModelShape(pi.length, 8, 1, 2, 12, false);
        return new Engine() {
            public ModelShape shape() { return shape; }
            public int rows() { return 1; }
            public int length() { return length; }
            public Step step(Batch batch, double lr) { throw new UnsupportedOperationException(); }
            public double lossSum(Batch batch) { throw new UnsupportedOperationException(); }
            public long updates() { return 0; }
            public void save(java.io.DataOutputStream out) { throw new UnsupportedOperationException(); }
            public void load(java.io.DataInputStream in) { throw new UnsupportedOperationException(); }
            public float[] logits(int[] inputs) {
                float[] out = new float[length * pi.length];
                for (int i = 0; i < out.length; i++) out[i] = (float) Math.log(pi[i % pi.length]);
                return out;
            }
        };
    }
}
