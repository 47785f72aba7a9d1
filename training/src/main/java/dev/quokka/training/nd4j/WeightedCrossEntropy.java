package dev.quokka.training.nd4j;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * The loss of every objective, in the graph: sum_i w_i (logsumexp(z_i) - z_i[y_i]) / N over the N = B L positions,
 * from logits z [N, V], sparse integer targets y and per-token weights w ({@link dev.quokka.training.Batch}). No [N, V] one-hot is built.
 *
 * <p>Not SameDiff's sparse softmax cross-entropy: its backward pass ignores the incoming gradient (docs/nd4j.md, trap 4)
 * and would drop the weights. Not {@code logSumExp}: its backward pass fails in M2.1 (reduce_sum_bp), so the
 * log-sum-exp is written out. Not {@code gatherNd}: M2.1 has no backward pass for it. The target logits are gathered
 * from the flattened logits at i V + y_i with {@link ScatterAddGather}, whose gradient is right.
 */
public final class WeightedCrossEntropy {
    private WeightedCrossEntropy() {}

    /**
     * @param logits  [N, V]
     * @param picks   [N] integer indices i V + y_i into the flattened logits: {@link #picks(int[], int)}
     * @param weights [N]
     * @return the scalar loss, in nats per position
     */
    public static SDVariable loss(SameDiff sd, String name, SDVariable logits, SDVariable picks, SDVariable weights) {
        OpFixes.install();
        // d/dz [m + log sum exp(z - m)] = softmax(z) whatever m is, so the max's own gradient cancels.
        SDVariable max = logits.max(true, 1);
        SDVariable logZ = sd.math().log(sd.math().exp(logits.sub(max)).sum(true, 1)).add(max).reshape(-1);
        SDVariable target = new ScatterAddGather(sd, logits.reshape(-1), picks, 0).outputVariable();
        return logZ.sub(target).mul(weights).rename(name + PER_POSITION).mean(name);
    }

    /** The suffix of the per-position losses' variable, [N]: the summands of the loss, for evaluations' errors. */
    public static final String PER_POSITION = "PerPosition";

    /** The flat indices i V + y_i of the target logits. */
    public static int[] picks(int[] targets, int vocab) {
        int[] p = new int[targets.length];
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] < 0 || targets[i] >= vocab) throw new IllegalArgumentException("target " + targets[i] + " at " + i + " is outside the vocabulary of " + vocab);
            p[i] = Math.multiplyExact(i, vocab) + targets[i];
        }
        return p;
    }
}
