package dev.quokka.training.nd4j;

import dev.quokka.training.ModelShape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * K models of one shape as one graph: {@link Transformer}'s model, with every parameter stacked on a leading axis of K
 * (parameter [K, ...], run k's at index k) and every matrix product batched over it, so that K small runs pay one
 * operation's overhead instead of K. Nothing mixes the runs: each has its own ids, targets, weights and attention
 * bias, and its own loss,
 * <pre>
 *   loss_k = sum_i w_ki (logsumexp(z_ki) - z_ki[y_ki]) / N          N = B T positions of run k
 *   loss   = sum_k loss_k                                           d loss / d theta_k = d loss_k / d theta_k
 * </pre>
 * so the gradient of the summed loss with respect to run k's parameters is run k's own gradient.
 *
 * <p>Inputs: "ids" [K N] (run k's at k N + i, each offset by k V into the stacked embedding, {@link #ids}), "picks"
 * [K N] (indices into the flattened [K N, V] logits, {@link #picks}), "weights" [K N] and "attentionBias"
 * [K B H, T, T]. Outputs: "losses" [K], "loss" (their sum), "logits" [K N, V] and "lossPerPosition" [K N].
 */
public final class BatchedTransformer {

    /** The graph; {@code losses} is [K]. */
    public record Graph(SameDiff sd, SDVariable logits, SDVariable losses, SDVariable loss) {}

    private BatchedTransformer() {}

    /** @param seeds each run's initialisation seed: run k starts where {@link Transformer} with seed k would */
    public static Graph build(ModelShape s, List<Long> seeds, int batch, int length, DataType dtype) {
        OpFixes.install(); // before the first variable: SameDiff makes the graph's session when one is set
        int k = seeds.size(), n = batch * length;
        SameDiff sd = SameDiff.create();
        SDVariable ids = sd.placeHolder("ids", DataType.INT32, (long) k * n);
        SDVariable picks = sd.placeHolder("picks", DataType.INT32, (long) k * n);
        SDVariable weights = sd.placeHolder("weights", dtype, (long) k * n);
        SDVariable bias = sd.placeHolder("attentionBias", dtype, (long) k * batch * s.heads(), length, length);
        Map<String, SDVariable> params = new LinkedHashMap<>();
        initialParameters(s, seeds, dtype).forEach((name, value) -> params.put(name, sd.var(name, value)));
        SDVariable logits = logits(sd, s, k, batch, length, dtype, params, ids, bias).rename("logits"); // [K N, V]

        SDVariable max = logits.max(true, 1);
        SDVariable logZ = sd.math().log(sd.math().exp(logits.sub(max)).sum(true, 1)).add(max).reshape(-1);
        SDVariable target = new ScatterAddGather(sd, logits.reshape(-1), picks, 0).outputVariable();
        SDVariable perPosition = logZ.sub(target).mul(weights).rename("loss" + WeightedCrossEntropy.PER_POSITION);
        SDVariable losses = perPosition.reshape(k, n).mean("losses", 1);
        SDVariable loss = losses.sum("loss");
        sd.setLossVariables(loss);
        return new Graph(sd, logits, losses, loss);
    }

    /** Each run's {@link Transformer#initialParameters}, stacked: parameter [K, ...], in {@link Transformer#parameterShapes}' order. */
    public static Map<String, INDArray> initialParameters(ModelShape s, List<Long> seeds, DataType dtype) {
        Map<String, INDArray> stacked = new LinkedHashMap<>();
        List<Map<String, INDArray>> each = seeds.stream().map(seed -> Transformer.initialParameters(s, seed, dtype)).toList();
        for (String name : Transformer.parameterShapes(s).keySet()) {
            INDArray[] parts = each.stream().map(p -> p.get(name)).toArray(INDArray[]::new);
            stacked.put(name, Nd4j.stack(0, parts));
        }
        return stacked;
    }

    /** The logits [K N, V] of K models with stacked parameters {@code p}. */
    static SDVariable logits(SameDiff sd, ModelShape s, int k, int batch, int length, DataType dtype, Map<String, SDVariable> p,
                             SDVariable ids, SDVariable bias) {
        int n = batch * length, d = s.d(), hd = s.headDim(), heads = s.heads(), v = s.vocab();
        SDVariable emb = p.get("embedding"); // [K, V, d]
        SDVariable x = new ScatterAddGather(sd, emb.reshape((long) k * v, d), ids, 0).outputVariable().reshape(k, n, d);
        SDVariable[] rope = rope(sd, dtype, k, batch, length, heads, hd);
        for (int l = 0; l < s.layers(); l++) {
            String pre = "l" + l + ".";
            SDVariable h = rmsNorm(x, p.get(pre + "attnNorm"), k, d);
            SDVariable q = rotate(sd, rmsNorm(h.mmul(p.get(pre + "wq")).reshape(k, -1, hd), p.get(pre + "qNorm"), k, hd).reshape(-1, hd), rope, hd);
            SDVariable kk = rotate(sd, rmsNorm(h.mmul(p.get(pre + "wk")).reshape(k, -1, hd), p.get(pre + "kNorm"), k, hd).reshape(-1, hd), rope, hd);
            SDVariable vv = h.mmul(p.get(pre + "wv"));
            q = heads(q, k * batch, length, heads, hd);
            kk = heads(kk, k * batch, length, heads, hd);
            SDVariable scores = sd.mmul(q, kk, false, true, false).mul(1.0 / Math.sqrt(hd)).add(bias); // [K B H, T, T]
            SDVariable attended = sd.mmul(sd.nn().softmax(scores), heads(vv, k * batch, length, heads, hd), false, false, false);
            SDVariable merged = attended.reshape(k * batch, heads, length, hd).permute(0, 2, 1, 3).reshape(k, n, d);
            x = x.add(merged.mmul(p.get(pre + "wo")));

            h = rmsNorm(x, p.get(pre + "mlpNorm"), k, d);
            SDVariable gate = sd.nn().swish(h.mmul(p.get(pre + "wGate")));
            SDVariable up = h.mmul(p.get(pre + "wUp"));
            x = x.add(gate.mul(up).mmul(p.get(pre + "wDown")));
        }
        SDVariable out = rmsNorm(x, p.get("finalNorm"), k, d);
        SDVariable logits = s.tied() ? sd.mmul(out, emb, false, true, false) : out.mmul(p.get("output"));
        return logits.reshape((long) k * n, v);
    }

    /** [K, M, width] rows over x / rms(x) * g_k, the gains [K, width]; as {@link Transformer}'s, element-wise multiplies only. */
    private static SDVariable rmsNorm(SDVariable x, SDVariable gain, int k, int width) {
        SameDiff sd = x.getSameDiff();
        SDVariable inverseRms = sd.math().rsqrt(x.mul(x).mean(true, 2).add(Transformer.NORM_EPS)); // [K, M, 1]
        return x.mul(inverseRms.mmul(gain.reshape(k, 1, width)));
    }

    /** [R, d] or [R H, hd] rows of R = K B T positions to [K B H, T, hd]. */
    private static SDVariable heads(SDVariable x, int sequences, int length, int heads, int hd) {
        return x.reshape(sequences, length, heads, hd).permute(0, 2, 1, 3).reshape((long) sequences * heads, length, hd);
    }

    private static SDVariable rotate(SameDiff sd, SDVariable x, SDVariable[] cosSin, int hd) {
        SDVariable x1 = x.get(SDIndex.all(), SDIndex.interval(0, hd / 2));
        SDVariable x2 = x.get(SDIndex.all(), SDIndex.interval(hd / 2, hd));
        return x.mul(cosSin[0]).add(sd.concat(1, x2.neg(), x1).mul(cosSin[1]));
    }

    private static SDVariable[] rope(SameDiff sd, DataType dtype, int k, int batch, int length, int heads, int hd) {
        INDArray[] one = Transformer.ropeTables(dtype, k * batch, length, heads, hd);
        return new SDVariable[] {sd.constant("ropeCos", one[0]), sd.constant("ropeSin", one[1])};
    }

    /** The "ids" input: run k's ids offset by k V, so that they index its own rows of the stacked embedding. */
    public static int[] ids(List<int[]> perRun, int vocab) {
        int n = perRun.get(0).length;
        int[] out = new int[perRun.size() * n];
        for (int r = 0; r < perRun.size(); r++) {
            int[] ids = perRun.get(r);
            for (int i = 0; i < n; i++) out[r * n + i] = Math.addExact(Math.multiplyExact(r, vocab), ids[i]);
        }
        return out;
    }

    /** The "picks" input: {@link WeightedCrossEntropy#picks} over the flattened [K N, V] logits. */
    public static int[] picks(List<int[]> perRunTargets, int vocab) {
        int n = perRunTargets.get(0).length;
        int[] all = new int[perRunTargets.size() * n];
        for (int r = 0; r < perRunTargets.size(); r++) System.arraycopy(perRunTargets.get(r), 0, all, r * n, n);
        return WeightedCrossEntropy.picks(all, vocab);
    }
}
