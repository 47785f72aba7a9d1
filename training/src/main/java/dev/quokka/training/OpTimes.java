package dev.quokka.training;

import java.util.List;

/**
 * Where a training step's time goes, by op type (measured by an engine's profiler: {@code Engines.profileOps}).
 *
 * @param stepMs the step, in milliseconds, timed without the profiler
 * @param opsMs  the ops' time per step: each op from just before its kernel to just after, ND4J's per-op set-up
 *               included; the step's remainder is the graph's scheduling and the optimiser update
 * @param ops    by op type, the costliest first
 */
public record OpTimes(double stepMs, double opsMs, List<Op> ops) {
    /** One op type: its milliseconds and calls per step. */
    public record Op(String name, double msPerStep, double callsPerStep) {}
}
