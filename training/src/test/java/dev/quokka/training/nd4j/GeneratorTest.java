package dev.quokka.training.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quokka.training.AdamW;
import dev.quokka.training.Generator;
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
}
