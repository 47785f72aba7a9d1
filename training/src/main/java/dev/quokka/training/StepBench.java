package dev.quokka.training;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

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

    /**
     * Tokens per second of one run alone: the wall time of {@code steps} steps after {@code warmup}, the measure
     * {@link #batchedTokensPerSecond} uses, so that the two compare.
     */
    public static double tokensPerSecond(Engine engine, Objective objective, int warmup, int steps, long seed) {
        Batch[] batches = batches(engine, objective, 4, new SplittableRandom(seed));
        for (int i = 0; i < warmup; i++) engine.step(batches[i % 4], 1e-4);
        long t0 = System.nanoTime();
        for (int i = 0; i < steps; i++) engine.step(batches[i % 4], 1e-4);
        return (double) steps * engine.rows() * engine.length() / ((System.nanoTime() - t0) / 1e9);
    }

    /**
     * Tokens per second of {@code runs} runs of one shape stepping together through {@code batch}, each on its own
     * thread as in a sweep task: the wall time from the first run's first timed step to the last run's last, times
     * all their tokens.
     */
    public static double batchedTokensPerSecond(RunBatch batch, int runs, ModelShape shape, int rows, int length, Objective objective,
                                                int warmup, int steps) {
        CyclicBarrier start = new CyclicBarrier(runs);
        ExecutorService threads = Executors.newFixedThreadPool(runs);
        try {
            List<Future<long[]>> done = new ArrayList<>();
            for (int r = 0; r < runs; r++) {
                int slot = r;
                done.add(threads.submit(() -> {
                    try {
                        Engine e = batch.slot(slot).create(shape, rows, length, objective.causal(), AdamW.papers(), slot);
                        Batch[] batches = batches(e, objective, 4, new SplittableRandom(slot));
                        for (int i = 0; i < warmup; i++) e.step(batches[i % 4], 1e-4);
                        start.await();
                        long t0 = System.nanoTime();
                        for (int i = 0; i < steps; i++) e.step(batches[i % 4], 1e-4);
                        return new long[] {t0, System.nanoTime()};
                    } finally {
                        batch.leave(slot);
                    }
                }));
            }
            long first = Long.MAX_VALUE, last = Long.MIN_VALUE;
            for (var f : done) {
                long[] t = f.get();
                first = Math.min(first, t[0]);
                last = Math.max(last, t[1]);
            }
            return (double) runs * steps * rows * length / ((last - first) / 1e9);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while timing batched steps", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("timing batched steps failed: " + e.getCause().getMessage(), e.getCause());
        } finally {
            threads.shutdownNow();
        }
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
