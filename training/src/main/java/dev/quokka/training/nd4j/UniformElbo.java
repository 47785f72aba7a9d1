package dev.quokka.training.nd4j;

import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The uniform kernel's ELBO in the graph ({@link dev.quokka.training.Objective.UniformDiffusion}, docs/objective.md):
 * from logits z [N, V],
 * <pre>
 *   L     = log(V alpha softmax(z) + 1 - alpha)                        log x̄θ, [N, V]; alpha per position
 *   loss  = sum_i [ e_i exp(-L_i[z_i]) + n_i L_i[z_i] + t_i L_i[x_i] + s_i sum_v L_i[v] + c_i ] / N
 * </pre>
 * with the coefficients e, n, t, s, c of {@link dev.quokka.training.Batch.UniformTerms}, which hold everything that
 * depends on t and on whether the position was redrawn. L is bounded below by log(1 - alpha), so it never reaches
 * -infinity however confident the model. The scalings by alpha reach [N, V] as outer products with a row of ones,
 * so that the multiplies are element-wise (see {@code Transformer.rmsNorm} on broadcasting in M2.1).
 */
public final class UniformElbo {
    private UniformElbo() {}

    /** The inputs' names: the noisy tokens' flat picks, alpha, then the coefficients in {@code UniformTerms.coefficients()}' order. */
    public static final String NOISY_PICKS = "noisyPicks", ALPHA = "alpha";
    public static final List<String> COEFFICIENTS = List.of("expCoef", "noisyCoef", "targetCoef", "sumCoef", "constantTerm");

    /**
     * @param logits      [N, V]
     * @param noisyPicks  [N] flat indices i V + z_i ({@link WeightedCrossEntropy#picks})
     * @param targetPicks [N] flat indices i V + x_i
     * @param alpha       [N]
     * @param c           [N] each, in {@link #COEFFICIENTS}' order
     * @return the scalar loss, in nats per position; the per-position terms are "{name}PerPosition"
     */
    public static SDVariable loss(SameDiff sd, String name, SDVariable logits, int vocab, SDVariable noisyPicks, SDVariable targetPicks,
                                  SDVariable alpha, List<SDVariable> c) {
        OpFixes.install();
        DataType dtype = logits.dataType();
        SDVariable ones = sd.constant(name + "Ones", Nd4j.ones(dtype, 1, vocab));
        SDVariable a = alpha.reshape(-1, 1);
        SDVariable xbar = sd.nn().softmax(logits, 1).mul(a.mul(vocab).mmul(ones)).add(a.rsub(1.0).mmul(ones));
        SDVariable logXbar = sd.math().log(xbar);
        SDVariable flat = logXbar.reshape(-1);
        SDVariable atNoisy = new ScatterAddGather(sd, flat, noisyPicks, 0).outputVariable();
        SDVariable atTarget = new ScatterAddGather(sd, flat, targetPicks, 0).outputVariable();
        SDVariable perPosition = c.get(0).mul(sd.math().exp(atNoisy.neg()))
                .add(c.get(1).mul(atNoisy))
                .add(c.get(2).mul(atTarget))
                .add(c.get(3).mul(logXbar.sum(1)))
                .add(c.get(4))
                .rename(name + WeightedCrossEntropy.PER_POSITION);
        return perPosition.mean(name);
    }
}
