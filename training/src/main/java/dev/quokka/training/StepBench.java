package dev.quokka.training;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Times optimiser steps of an engine on batches of uniformly random tokens, built by the real objective. The batches
 * are made before the clock starts, so this is the engine alone; {@link Trainer} reports the data wait of a real run.
 */
public final class StepBench {
    /** Median and fastest seconds per step over the timed steps. */
    public record Timing(double medianSeconds, double minSeconds, int steps) {}

    private StepBench() {}

    public static Timing time(Engine engine, Objective objective, int warmup, int steps, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int rows = engine.rows(), window = engine.length() + 1, vocab = engine.shape().vocab();
        Batch[] batches = new Batch[Math.min(steps, 8)];
        for (int i = 0; i < batches.length; i++) {
            int[][] w = new int[rows][window];
            for (int[] row : w) for (int j = 0; j < window; j++) row[j] = rng.nextInt(vocab);
            batches[i] = objective.train(w, rng, 0.5);
        }
        for (int i = 0; i < warmup; i++) engine.step(batches[i % batches.length], 1e-4);
        double[] seconds = new double[steps];
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            engine.step(batches[i % batches.length], 1e-4);
            seconds[i] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(seconds);
        return new Timing(seconds[steps / 2], seconds[0], steps);
    }
}
