package dev.quokka.training;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The seam between training and the tensor library: one model, its loss and its optimiser state, for batches of a
 * fixed shape [rows, length]. Everything above this interface is plain Java; everything library-specific (ND4J,
 * SameDiff and their workarounds) lives in an implementation.
 */
public interface Engine {

    /** The result of one optimiser step: the batch loss before the update and the gradient's global L2 norm. */
    record Step(double loss, double gradNorm, boolean clipped) {}

    /** A parameter's values, row-major, as float32 (what the model trains in, or its rounding when it trains in float64). */
    record Weights(long[] shape, float[] values) {}

    /** The model's parameters by name, in the engine's fixed order (for export). */
    default Map<String, Weights> parameters() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not export its parameters");
    }

    /** Replaces every parameter with {@code weights}, which must name each one with its shape. */
    default void setParameters(Map<String, Weights> weights) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not import parameters");
    }

    ModelShape shape();

    /** Rows per batch. */
    int rows();

    /** Positions per row. */
    int length();

    /**
     * Forward, backward and one AdamW update at learning rate {@code lr}; the loss is the batch's mean,
     * sum(weights * CE) / (its rows * its length). A batch shorter than {@link #length()} (variable length) trains
     * as if the model were that long. If the loss or the gradient is not finite, nothing is updated and the step says
     * so through its values.
     */
    Step step(Batch batch, double lr);

    /**
     * The most steps this engine takes in one call of {@link #steps}: more than 1 when steps are cheaper in rounds
     * (data-parallel training averages parameters once a round).
     */
    default int stepsPerRound() {
        return 1;
    }

    /** Consecutive steps, one per batch, at the given learning rates; their results in order. */
    default List<Step> steps(List<Batch> batches, double[] lrs) {
        List<Step> out = new ArrayList<>();
        for (int i = 0; i < batches.size(); i++) out.add(step(batches.get(i), lrs[i]));
        return out;
    }

    /** How this engine trains, for the run's manifest. */
    default Map<String, Object> describe() {
        return Map.of("kind", "single process");
    }

    /** The batch's summed loss, sum(weights * CE), without updating anything. Batches may have fewer rows. */
    double lossSum(Batch batch);

    /** Each row's summed loss, sum over its positions of weights * CE: the spread that evaluation's error comes from. */
    default double[] rowLossSums(Batch batch) {
        double[] sums = new double[batch.rows()];
        for (int r = 0; r < sums.length; r++) sums[r] = lossSum(batch.row(r));
        return sums;
    }

    /** Logits [rows * length, vocab] for the given input ids (rows * length of them), row-major. */
    float[] logits(int[] inputs);

    /** Optimiser steps taken so far (Adam's bias correction depends on it). */
    long updates();

    /** Writes parameters and optimiser state, exactly. */
    void save(DataOutputStream out) throws IOException;

    /** Restores what {@link #save} wrote; fails if the shapes differ. */
    void load(DataInputStream in) throws IOException;
}
