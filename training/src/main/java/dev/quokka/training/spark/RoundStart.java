package dev.quokka.training.spark;

import dev.quokka.training.nd4j.Backend;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.TrainingHook;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Runs on each worker before its first step of a round. DL4J's parameter-averaging worker rebuilds the network from a
 * clone of the configuration, and the clone drops the iteration count: every round would start at iteration 0, so
 * Adam's bias correction and the learning-rate schedule would restart each round. This sets the global step back.
 * It also limits the worker's ND4J threads, so that workers sharing a machine do not fight over its cores.
 */
final class RoundStart implements TrainingHook {
    private long firstStep;
    private final int threads;
    private transient boolean started;

    RoundStart(int threads) {
        this.threads = threads;
    }

    void set(long firstStep) {
        this.firstStep = firstStep;
    }

    @Override
    public void preUpdate(MultiDataSet minibatch, Model model) {
        if (started) return;
        started = true;
        if (threads > 0) Backend.limitThreads(threads);
        ((ComputationGraph) model).getConfiguration().setIterationCount(Math.toIntExact(firstStep));
    }

    @Override
    public void preUpdate(DataSet minibatch, Model model) {
        throw new UnsupportedOperationException("the transformer trains as a ComputationGraph, on MultiDataSets");
    }

    @Override
    public void postUpdate(DataSet minibatch, Model model) {}

    @Override
    public void postUpdate(MultiDataSet minibatch, Model model) {}
}
