package dev.quokka.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ModelShapeTest {

    @Test
    void papersCountAndExactCount() {
        ModelShape s = new ModelShape(1000, 64, 3, 4, 176, false);
        assertEquals(4L * 3 * 64 * 64 + 3L * 3 * 64 * 176 + 6L * 3 * 64 + 1000L * 64, s.papersParameters());
        // Exact: the papers' 6 L d of norms is 2 L d gains here plus QK-norm gains and a final norm, and untied
        // output adds V d.
        long exact = 1000L * 64 * 2 + 3L * (4 * 64 * 64 + 3 * 64 * 176 + 2 * 64 + 2 * 16) + 64;
        assertEquals(exact, s.parameters());
        assertEquals(exact - 2 * 1000L * 64, s.nonEmbeddingParameters());
        ModelShape tied = new ModelShape(1000, 64, 3, 4, 176, true);
        assertEquals(exact - 1000L * 64, tied.parameters());
        assertEquals(6.0 * s.papersParameters() * 1_000_000, s.trainingFlops(1_000_000));
    }

    @Test
    void modelFlopsCountEveryMatrixProduct() {
        ModelShape s = new ModelShape(1000, 64, 3, 4, 176, false);
        int t = 32;
        // forward, per token and layer: q k v o (4 d^2), gate up down (3 d h_f), scores and values (2 T d), each a
        // multiply-add; the output layer V d; the backward pass costs twice the forward
        double forward = 2.0 * (3 * (4 * 64 * 64 + 3 * 64 * 176 + 2 * t * 64) + 1000 * 64);
        assertEquals(3 * forward, s.modelFlopsPerToken(t), 1e-6);
    }

    @Test
    void presetsSpanAThirdOfAMillionToThirtyMillion() {
        long smallest = Long.MAX_VALUE, largest = 0;
        for (String p : ModelShape.PRESETS) {
            long n = ModelShape.preset(p, 50304).papersNonEmbeddingParameters();
            smallest = Math.min(smallest, n);
            largest = Math.max(largest, n);
        }
        assertTrue(smallest >= 250_000 && smallest <= 500_000, "smallest " + smallest);
        assertTrue(largest >= 20_000_000 && largest <= 30_000_000, "largest " + largest);
        assertThrows(IllegalArgumentException.class, () -> ModelShape.preset("huge", 100));
        assertThrows(IllegalArgumentException.class, () -> new ModelShape(100, 60, 2, 8, 160, false));
    }
}
