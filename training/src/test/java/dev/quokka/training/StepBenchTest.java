package dev.quokka.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StepBenchTest {
    /** An engine that sleeps a fixed time per step and logs which engine stepped. */
    private record Sleeper(String name, long millis, List<String> log, ModelShape shape) implements Engine {
        public Step step(Batch batch, double lr) {
            assertEquals(4 * 8, batch.inputs().length);
            log.add(name);
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            return new Step(1, 1, false);
        }
        public int rows() { return 4; }
        public int length() { return 8; }
        public double lossSum(Batch batch) { return 0; }
        public float[] logits(int[] inputs) { return new float[0]; }
        public long updates() { return 0; }
        public void save(DataOutputStream out) {}
        public void load(DataInputStream in) {}
    }

    @Test
    void enginesStepInTurnAndAreTimedApart() {
        List<String> log = new ArrayList<>();
        ModelShape shape = ModelShape.of(50, 16, 1, 2);
        Engine fast = new Sleeper("fast", 2, log, shape), slow = new Sleeper("slow", 20, log, shape);
        StepBench.Timing[] t = StepBench.time(new Engine[] {fast, slow},
                new Objective[] {new Objective.Autoregressive(), Objective.MaskedDiffusion.standard(49)}, 1, 3, 5);
        assertEquals(List.of("fast", "slow", "fast", "slow", "fast", "slow", "fast", "slow"), log);
        assertEquals(3, t[0].steps());
        assertTrue(t[0].medianSeconds() >= 0.002 && t[0].medianSeconds() < 0.02, "fast " + t[0]);
        assertTrue(t[1].medianSeconds() >= 0.020, "slow " + t[1]);
        assertTrue(t[1].minSeconds() <= t[1].medianSeconds());
    }
}
