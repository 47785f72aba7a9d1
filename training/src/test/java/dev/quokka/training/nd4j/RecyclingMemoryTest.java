package dev.quokka.training.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quokka.training.AdamW;
import dev.quokka.training.Batch;
import dev.quokka.training.Engine;
import dev.quokka.training.Objective;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Graph runs reuse their arrays ({@link RecyclingSession}), without changing a result or an output already handed out. */
class RecyclingMemoryTest {
    private static final int B = SameDiffEngineTest.B, T = SameDiffEngineTest.T;

    private static SameDiffEngine engine(Objective objective) {
        return new SameDiffEngine(SameDiffEngineTest.SHAPE, B, T, objective.causal(), AdamW.papers(), 3, DataType.FLOAT);
    }

    /** After its first step, a step allocates nothing fresh but what it hands out: the loss and the gradients. */
    @Test
    void stepsAfterTheFirstAllocateOnlyTheirOutputs() {
        SameDiffEngine e = engine(SameDiffEngineTest.DLM);
        long outputs = 1 + e.sameDiff().variables().stream().filter(v -> v.getVariableType() == VariableType.VARIABLE).count();
        e.step(SameDiffEngineTest.batch(SameDiffEngineTest.DLM, 0), 1e-2);
        e.step(SameDiffEngineTest.batch(SameDiffEngineTest.DLM, 1), 1e-2);
        long fresh = RecyclingMemory.freshArrays(), reused = RecyclingMemory.reusedArrays();
        int steps = 4;
        for (int s = 0; s < steps; s++) e.step(SameDiffEngineTest.batch(SameDiffEngineTest.DLM, 2 + s), 1e-2);
        long perStep = (RecyclingMemory.freshArrays() - fresh) / steps;
        assertTrue(perStep <= outputs, perStep + " fresh arrays a step, more than the " + outputs + " outputs");
        assertTrue((RecyclingMemory.reusedArrays() - reused) / steps > 5 * outputs, "a step reuses most of its arrays");
    }

    /** Losses and parameters, step after step, equal ND4J's own session's bit for bit, for both attention kinds. */
    @Test
    void trainingEqualsNd4jsOwnSession() {
        for (Objective objective : List.of(new Objective.Autoregressive(), SameDiffEngineTest.DLM)) {
            List<double[]> runs = new ArrayList<>();
            for (boolean reuse : new boolean[] {true, false}) {
                OpFixes.reuseArrays(reuse);
                long ours = RecyclingMemory.freshArrays() + RecyclingMemory.reusedArrays();
                try {
                    SameDiffEngine e = engine(objective);
                    List<Double> trace = new ArrayList<>();
                    for (int s = 0; s < 4; s++) {
                        Engine.Step step = e.step(SameDiffEngineTest.batch(objective, s), 1e-2);
                        trace.add(step.loss());
                        trace.add(step.gradNorm());
                    }
                    for (SDVariable v : e.sameDiff().variables()) {
                        if (v.getVariableType() == VariableType.VARIABLE) for (double x : v.getArr().dup('c').data().asDouble()) trace.add(x);
                    }
                    runs.add(trace.stream().mapToDouble(Double::doubleValue).toArray());
                    long used = RecyclingMemory.freshArrays() + RecyclingMemory.reusedArrays() - ours;
                    assertEquals(reuse, used > 0, "reuse " + reuse + ": " + used + " arrays from RecyclingMemory");
                } finally {
                    OpFixes.reuseArrays(true);
                }
            }
            assertArrayEquals(runs.get(1), runs.get(0), 0.0, objective.toString());
        }
    }

    /** An output the caller still holds, and a view of a reused buffer, keeps its values through the next runs. */
    @Test
    void anOutputSurvivesTheNextRuns() {
        SameDiffEngine e = engine(SameDiffEngineTest.DLM);
        Batch first = SameDiffEngineTest.batch(SameDiffEngineTest.DLM, 0);
        INDArray logits = e.sameDiff().output(feed(first), "logits").get("logits");
        float[] before = logits.dup('c').data().asFloat();
        for (int s = 1; s < 4; s++) {
            e.sameDiff().output(feed(SameDiffEngineTest.batch(SameDiffEngineTest.DLM, s)), "logits");
            e.step(SameDiffEngineTest.batch(SameDiffEngineTest.DLM, s), 1e-2);
        }
        e.sameDiff().output(feed(first), "logits"); // other parameters now: other values, into the same shapes
        assertArrayEquals(before, logits.dup('c').data().asFloat(), 0f);
        assertEquals(false, logits.wasClosed());
    }

    private static Map<String, INDArray> feed(Batch b) {
        return Map.of("ids", Nd4j.createFromArray(b.inputs()),
                "picks", Nd4j.createFromArray(WeightedCrossEntropy.picks(b.targets(), SameDiffEngineTest.SHAPE.vocab())),
                "weights", Nd4j.createFromArray(b.weights()),
                "attentionBias", Transformer.attentionBias(DataType.FLOAT, B, SameDiffEngineTest.SHAPE.heads(), T, false, T));
    }
}
