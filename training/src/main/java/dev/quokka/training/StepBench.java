package dev.quokka.training;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Times optimiser steps of engines on batches of uniformly random tokens, built by the real objectives. The batches
 * are made before the clock starts, so this is the engine alone ({@link Trainer} reports the data wait of a real run).
 * Several engines take their steps in turn, so that a drift of the machine's speed affects them all alike.
 */
public final class StepBench {
    /** Median and fastest seconds per step over the timed steps. */
    public record Timing(double medianSeconds, double minSeconds, int steps) {}

    private StepBench() {}

    /** Timings of {@code engines[i]} training on {@code objectives[i]}, interleaved step by step. */
    public static Timing[] time(Engine[] engines, Objective[] objectives, int warmup, int steps, long seed) {
        int k = engines.length;
        Batch[][] batches = new Batch[k][];
        for (int e = 0; e < k; e++) batches[e] = batches(engines[e], objectives[e], Math.min(steps, 4), new SplittableRandom(seed));
        double[][] seconds = new double[k][steps];
        for (int i = -warmup; i < steps; i++) {
            for (int e = 0; e < k; e++) {
                long t0 = System.nanoTime();
                engines[e].step(batches[e][Math.floorMod(i, batches[e].length)], 1e-4);
                if (i >= 0) seconds[e][i] = (System.nanoTime() - t0) / 1e9;
            }
        }
        Timing[] timings = new Timing[k];
        for (int e = 0; e < k; e++) {
            Arrays.sort(seconds[e]);
            timings[e] = new Timing(seconds[e][steps / 2], seconds[e][0], steps);
        }
        return timings;
    }

    /** {@code count} batches of the engine's shape, of uniformly random tokens, through the objective. */
    public static Batch[] batches(Engine engine, Objective objective, int count, SplittableRandom rng) {
        int rows = engine.rows(), window = engine.length() + 1, vocab = engine.shape().vocab();
        Batch[] batches = new Batch[count];
        for (int i = 0; i < count; i++) {
            int[][] w = new int[rows][window];
            for (int[] row : w) for (int j = 0; j < window; j++) row[j] = rng.nextInt(vocab);
            batches[i] = objective.train(w, rng, 0.5);
        }
        return batches;
    }
}
