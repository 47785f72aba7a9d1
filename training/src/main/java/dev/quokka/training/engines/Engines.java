package dev.quokka.training.engines;

import dev.quokka.training.AdamW;
import dev.quokka.training.Batch;
import dev.quokka.training.Engine;
import dev.quokka.training.ModelShape;
import dev.quokka.training.Objective;
import dev.quokka.training.OpTimes;
import dev.quokka.training.RunBatch;
import dev.quokka.training.Trainer;
import dev.quokka.training.nd4j.Backend;
import dev.quokka.training.nd4j.BatchedRuns;
import dev.quokka.training.nd4j.Devices;
import dev.quokka.training.nd4j.OpFixes;
import dev.quokka.training.nd4j.OpProfile;
import dev.quokka.training.nd4j.SameDiffEngine;
import dev.quokka.training.spark.DataParallelEngine;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The one place that chooses how training runs: which engine trains a model, how many threads ND4J may use, and which
 * GPU a Spark task's thread binds to. Commands, sweep tasks and benchmarks ask here, and know no engine class; a new
 * engine is added here (docs/architecture.md).
 */
public final class Engines {
    private Engines() {}

    /** One JVM, one model: SameDiff on this process's ND4J backend (CPU, or CUDA through the Maven profile). */
    public static Trainer.EngineFactory singleProcess() {
        return new Trainer.EngineFactory() {
            @Override
            public Engine create(ModelShape shape, int rows, int length, boolean causal, AdamW adamW, long seed) {
                return SameDiffEngine.create(shape, rows, length, causal, adamW, seed);
            }

            @Override
            public Engine create(ModelShape shape, int rows, int length, Objective objective, AdamW adamW, long seed) {
                return SameDiffEngine.create(shape, rows, length, objective, adamW, seed);
            }
        };
    }

    /**
     * {@code slots} runs of one shape trained at once, each by its own Trainer on its own thread, through one batched
     * graph on this process's ND4J backend ({@link BatchedRuns}).
     */
    public static RunBatch batched(int slots) {
        return BatchedRuns.create(slots);
    }

    /**
     * One model trained by {@code workers} Spark tasks with DL4J's parameter averaging every {@code averagingFrequency}
     * steps, each task preparing {@code prefetch} minibatches ahead on {@code threadsPerWorker} ND4J threads.
     */
    public static Trainer.EngineFactory dataParallel(JavaSparkContext spark, int workers, int averagingFrequency, int prefetch,
                                                     int threadsPerWorker) {
        return DataParallelEngine.factory(spark, new DataParallelEngine.Options(workers, averagingFrequency, prefetch, threadsPerWorker));
    }

    /**
     * Prepares this thread's process to train with {@code cpus} cores (a Spark task's share, or what the user asked
     * for) and, when Spark assigned GPUs ({@code gpuAddresses}, as its discovery script named them), binds this thread
     * to the first of them as CUDA numbers it under {@code cudaVisibleDevices}.
     */
    public static void prepare(int cpus, List<String> gpuAddresses, String cudaVisibleDevices) {
        Backend.limitThreads(cpus);
        Devices.bind(gpuAddresses, cudaVisibleDevices);
    }

    /** Caps ND4J's threads (its OpenMP pool and BLAS) for the whole process. */
    public static void limitThreads(int threads) {
        Backend.limitThreads(threads);
    }

    /** What the backend is: name, BLAS, threads, devices. */
    public static Map<String, String> describe() {
        return Backend.describe();
    }

    /**
     * Whether graphs built from now on in this process reuse their arrays across steps (the default) or run in ND4J's
     * own session, as before issue 22: for benchmarks against that. Results are the same either way.
     */
    public static void reuseArrays(boolean reuse) {
        OpFixes.reuseArrays(reuse);
    }

    /**
     * Where the steps of a single-process engine ({@link #singleProcess}) go, by op: {@code steps} steps on
     * {@code batches} after {@code warmup}.
     */
    public static OpTimes profileOps(Engine engine, Batch[] batches, int warmup, int steps) {
        if (!(engine instanceof SameDiffEngine e)) throw new IllegalArgumentException("ops are profiled on the single-process engine, not " + engine.describe());
        return OpProfile.of(e, batches, warmup, steps);
    }

    /** The backend's float32 matrix-multiply rate in FLOP/s, the median of {@code rounds} products of n x n matrices. */
    public static double sgemmFlops(int n, int rounds) {
        return Backend.sgemmFlops(n, rounds);
    }
}
