package dev.quokka.training.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quokka.training.AdamW;
import dev.quokka.training.Batch;
import dev.quokka.training.OpTimes;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** The op profile counts every op of a step once, and leaves the engine training as before. */
class OpProfileTest {
    @Test
    void everyOpOfAStepIsCountedAndTheListenerIsRemoved() {
        Batch[] batches = {SameDiffEngineTest.batch(SameDiffEngineTest.DLM, 0), SameDiffEngineTest.batch(SameDiffEngineTest.DLM, 1)};
        SameDiffEngine e = new SameDiffEngine(SameDiffEngineTest.SHAPE, SameDiffEngineTest.B, SameDiffEngineTest.T, false, AdamW.papers(), 3, DataType.FLOAT);
        OpTimes t = OpProfile.of(e, batches, 2, 3);
        int layers = SameDiffEngineTest.SHAPE.layers();
        Map<String, Double> calls = new java.util.HashMap<>();
        t.ops().forEach(op -> calls.put(op.name(), op.callsPerStep()));
        // Per layer nine products (q, k, v, scores, attended, o, gate, up, down) and four norms' outer products of
        // row scale and gain; then the final norm's and the output layer: each with its backward op.
        assertEquals(13 * layers + 2, calls.get("matmul"), calls.toString());
        assertEquals(13 * layers + 2, calls.get("matmul_bp"), calls.toString());
        assertEquals(t.opsMs(), t.ops().stream().mapToDouble(OpTimes.Op::msPerStep).sum(), 1e-9);
        assertTrue(t.opsMs() > 0 && t.stepMs() > 0, t.toString());
        for (int i = 1; i < t.ops().size(); i++) assertTrue(t.ops().get(i - 1).msPerStep() >= t.ops().get(i).msPerStep(), "costliest first");
        assertTrue(e.gradientGraph().getListeners() == null || e.gradientGraph().getListeners().isEmpty(), "the listener is removed");
    }
}
