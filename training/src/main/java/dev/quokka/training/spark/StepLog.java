package dev.quokka.training.spark;

import java.io.Serializable;
import org.apache.spark.TaskContext;
import org.apache.spark.util.CollectionAccumulator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

/**
 * Reports every worker step to the driver through a Spark accumulator: {step, worker, loss, gradient norm}. It runs
 * once the gradient exists, before the update. The score is the batch's mean loss (the layer's loss over the
 * minibatch size; DL4J adds no penalty for a SameDiff layer's weight decay); the gradient is still the sum over the
 * minibatch's rows, so its norm is divided by them.
 */
final class StepLog extends BaseTrainingListener implements Serializable {
    private final CollectionAccumulator<double[]> log;
    private final int rows;

    StepLog(CollectionAccumulator<double[]> log, int rows) {
        this.log = log;
        this.rows = rows;
    }

    @Override
    public void onGradientCalculation(Model model) {
        ComputationGraph g = (ComputationGraph) model;
        double norm = g.gradient().gradient().norm2Number().doubleValue() / rows;
        TaskContext task = TaskContext.get();
        log.add(new double[] {g.getIterationCount(), task == null ? 0 : task.partitionId(), g.score(), norm});
    }
}
