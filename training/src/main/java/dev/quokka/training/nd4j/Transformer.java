package dev.quokka.training.nd4j;

import dev.quokka.training.ModelShape;
import dev.quokka.training.Objective;
import dev.quokka.training.SeededNormal;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The pre-norm transformer as one SameDiff graph, for B sequences of T positions (flattened to N = B T):
 * <pre>
 *   x = E[ids]                                              embedding (a gather with a correct gradient)
 *   per layer:  x += Wo attn(rope(qknorm(Wq h)), rope(qknorm(Wk h)), Wv h),   h = rmsnorm(x)
 *               x += Wdown (silu(Wgate h) * Wup h),                            h = rmsnorm(x)
 *   logits = rmsnorm(x) Wout                                 (untied, or E^T when tied)
 *   loss = sum w (logsumexp(logits) - logits[y]) / N         {@link WeightedCrossEntropy}
 *          or the uniform kernel's ELBO                      {@link UniformElbo}
 * </pre>
 * The AR and diffusion models share this graph: attention is causal or not by the additive mask fed with each
 * batch, which also hides the padding of a batch shorter than T. No biases; init N(0, 0.02); norm gains start at 1.
 */
public final class Transformer {
    static final double NORM_EPS = ModelShape.NORM_EPS;
    static final double ROPE_BASE = ModelShape.ROPE_BASE;
    static final double INIT_STD = 0.02;

    /**
     * The graph and its named inputs: placeholders "ids", "picks", "attentionBias" ({@link #attentionBias}) and
     * "weights" (unless fixed); output "logits".
     */
    public record Graph(SameDiff sd, SDVariable logits, SDVariable loss) {}

    private Transformer() {}

    /**
     * @param fixedWeights per-position loss weights baked in as a constant (gradient checks), or null for a
     *                     "weights" placeholder
     */
    public static Graph build(ModelShape s, int batch, int length, long seed, DataType dtype, INDArray fixedWeights) {
        return build(s, batch, length, seed, dtype, Objective.Loss.CROSS_ENTROPY, fixedWeights == null ? Map.of() : Map.of("weights", fixedWeights));
    }

    /**
     * The graph for an objective's loss: {@link WeightedCrossEntropy} (inputs "picks", "weights") or
     * {@link UniformElbo} (inputs "picks" of the targets, "noisyPicks", "alpha" and its coefficients).
     *
     * @param fixed floating-point inputs baked in as constants, by name (gradient checks, which would otherwise
     *              check the placeholders too); the others are placeholders
     */
    public static Graph build(ModelShape s, int batch, int length, long seed, DataType dtype, Objective.Loss lossKind, Map<String, INDArray> fixed) {
        OpFixes.install(); // before the first variable: SameDiff makes the graph's session when one is set
        SameDiff sd = SameDiff.create();
        int n = batch * length;
        SDVariable ids = sd.placeHolder("ids", DataType.INT32, n);
        SDVariable picks = sd.placeHolder("picks", DataType.INT32, n);
        SDVariable bias = sd.placeHolder("attentionBias", dtype, (long) batch * s.heads(), length, length);
        Map<String, SDVariable> params = new LinkedHashMap<>();
        initialParameters(s, seed, dtype).forEach((name, value) -> params.put(name, sd.var(name, value)));
        SDVariable logits = logits(sd, s, batch, length, dtype, params, ids, bias).rename("logits");
        java.util.function.Function<String, SDVariable> input = name -> fixed.containsKey(name)
                ? sd.constant(name, fixed.get(name).castTo(dtype)) : sd.placeHolder(name, dtype, n);
        SDVariable loss = switch (lossKind) {
            case CROSS_ENTROPY -> WeightedCrossEntropy.loss(sd, "loss", logits, picks, input.apply("weights"));
            case UNIFORM_ELBO -> UniformElbo.loss(sd, "loss", logits, s.vocab(), sd.placeHolder(UniformElbo.NOISY_PICKS, DataType.INT32, n), picks,
                    input.apply(UniformElbo.ALPHA), UniformElbo.COEFFICIENTS.stream().map(input).toList());
        };
        sd.setLossVariables(loss);
        return new Graph(sd, logits, loss);
    }

    /**
     * The parameters' names and shapes, in a fixed order. Matrices (rank 2) take weight decay, norm gains (rank 1)
     * do not. Names avoid {@code _}, which DL4J reserves as its layer separator.
     */
    public static Map<String, long[]> parameterShapes(ModelShape s) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        int d = s.d(), hd = s.headDim(), f = s.mlpHidden();
        shapes.put("embedding", new long[] {s.vocab(), d});
        for (int l = 0; l < s.layers(); l++) {
            String p = "l" + l + ".";
            shapes.put(p + "attnNorm", new long[] {d});
            shapes.put(p + "wq", new long[] {d, d});
            shapes.put(p + "qNorm", new long[] {hd});
            shapes.put(p + "wk", new long[] {d, d});
            shapes.put(p + "kNorm", new long[] {hd});
            shapes.put(p + "wv", new long[] {d, d});
            shapes.put(p + "wo", new long[] {d, d});
            shapes.put(p + "mlpNorm", new long[] {d});
            shapes.put(p + "wGate", new long[] {d, f});
            shapes.put(p + "wUp", new long[] {d, f});
            shapes.put(p + "wDown", new long[] {f, d});
        }
        shapes.put("finalNorm", new long[] {d});
        if (!s.tied()) shapes.put("output", new long[] {d, s.vocab()});
        return shapes;
    }

    /**
     * The initial values: matrices from N(0, 0.02^2), each from its own {@link SeededNormal} stream named after it,
     * and unit gains. A function of the shape and {@code seed} alone, in any process (not ND4J's generator, which
     * takes a seed of 0 from the clock).
     */
    public static Map<String, INDArray> initialParameters(ModelShape s, long seed, DataType dtype) {
        Map<String, INDArray> values = new LinkedHashMap<>();
        parameterShapes(s).forEach((name, shape) -> {
            if (shape.length == 1) {
                values.put(name, Nd4j.ones(dtype, shape));
                return;
            }
            SeededNormal normal = new SeededNormal(seed, name);
            int n = Math.toIntExact(shape[0] * shape[1]);
            INDArray drawn = dtype == DataType.DOUBLE ? Nd4j.createFromArray(normal.doubles(n, INIT_STD))
                    : Nd4j.createFromArray(normal.floats(n, INIT_STD)).castTo(dtype);
            values.put(name, drawn.reshape('c', shape));
        });
        return values;
    }

    /**
     * The logits [N, V] of the model with parameters {@code p} (by {@link #parameterShapes} name), for token ids
     * [N] and an attention bias [B H, T, T] ({@link #attentionBias}).
     */
    public static SDVariable logits(SameDiff sd, ModelShape s, int batch, int length, DataType dtype,
                                    Map<String, SDVariable> p, SDVariable ids, SDVariable bias) {
        int n = batch * length, d = s.d(), hd = s.headDim(), heads = s.heads();
        SDVariable emb = p.get("embedding");
        SDVariable x = new ScatterAddGather(sd, emb, ids, 0).outputVariable(); // [N, d]
        SDVariable[] rope = rope(sd, dtype, batch, length, heads, hd);
        for (int l = 0; l < s.layers(); l++) {
            String pre = "l" + l + ".";
            SDVariable h = rmsNorm(x, p.get(pre + "attnNorm"), d);
            SDVariable q = rotate(sd, rmsNorm(perHead(h.mmul(p.get(pre + "wq")), hd), p.get(pre + "qNorm"), hd), rope, hd);
            SDVariable k = rotate(sd, rmsNorm(perHead(h.mmul(p.get(pre + "wk")), hd), p.get(pre + "kNorm"), hd), rope, hd);
            SDVariable v = h.mmul(p.get(pre + "wv"));
            q = heads(q, batch, length, heads, hd);
            k = heads(k, batch, length, heads, hd);
            SDVariable scores = sd.mmul(q, k, false, true, false).mul(1.0 / Math.sqrt(hd)).add(bias); // [B H, T, T]
            SDVariable attended = sd.mmul(sd.nn().softmax(scores), heads(v, batch, length, heads, hd), false, false, false); // [B H, T, hd]
            SDVariable merged = attended.reshape(batch, heads, length, hd).permute(0, 2, 1, 3).reshape(n, d);
            x = x.add(merged.mmul(p.get(pre + "wo")));

            h = rmsNorm(x, p.get(pre + "mlpNorm"), d);
            SDVariable gate = sd.nn().swish(h.mmul(p.get(pre + "wGate")));
            SDVariable up = h.mmul(p.get(pre + "wUp"));
            x = x.add(gate.mul(up).mmul(p.get(pre + "wDown")));
        }
        SDVariable out = rmsNorm(x, p.get("finalNorm"), d);
        return s.tied() ? sd.mmul(out, emb, false, true, false) : out.mmul(p.get("output"));
    }

    /** [N, d] to one row per token and head, [N H, hd]: a view, since each head's columns are contiguous. */
    private static SDVariable perHead(SDVariable x, int hd) {
        return x.reshape(-1, hd);
    }

    /** [N, d] or [N H, hd] to [B H, T, hd]. */
    private static SDVariable heads(SDVariable x, int batch, int length, int heads, int hd) {
        return x.reshape(batch, length, heads, hd).permute(0, 2, 1, 3).reshape(batch * heads, length, hd);
    }

    /**
     * x / rms(x) * g over the rows of x [M, width]. The row scales [M, 1] and the gain [1, width] meet in an outer
     * product, so every multiply is element-wise: M2.1's backward pass of a broadcasting multiply is about 50 times
     * slower than that of an element-wise one (BENCHMARKS.md).
     */
    private static SDVariable rmsNorm(SDVariable x, SDVariable gain, int width) {
        SameDiff sd = x.getSameDiff();
        SDVariable inverseRms = sd.math().rsqrt(x.mul(x).mean(true, 1).add(NORM_EPS));
        return x.mul(inverseRms.mmul(gain.reshape(1, width)));
    }

    /** Rotary embedding of [N H, hd] rows, half-split layout: x cos + rotateHalf(x) sin, slicing only the last axis (docs/nd4j.md, trap 6). */
    private static SDVariable rotate(SameDiff sd, SDVariable x, SDVariable[] cosSin, int hd) {
        SDVariable x1 = x.get(SDIndex.all(), SDIndex.interval(0, hd / 2));
        SDVariable x2 = x.get(SDIndex.all(), SDIndex.interval(hd / 2, hd));
        SDVariable rotated = sd.concat(1, x2.neg(), x1);
        return x.mul(cosSin[0]).add(rotated.mul(cosSin[1]));
    }

    /**
     * cos and sin of position t times theta_i = base^(-2i/hd), both halves alike, for every row of [N H, hd] (row
     * (b T + t) H + h): [T, hd] tiled to full size, so that the multiplies by them are element-wise.
     */
    private static SDVariable[] rope(SameDiff sd, DataType dtype, int batch, int length, int heads, int hd) {
        INDArray[] tables = ropeTables(dtype, batch, length, heads, hd);
        return new SDVariable[] {sd.constant("ropeCos", tables[0]), sd.constant("ropeSin", tables[1])};
    }

    /** The cos and sin tables of {@link #rope} for {@code batch} sequences, [B T H, hd] each. */
    static INDArray[] ropeTables(DataType dtype, int batch, int length, int heads, int hd) {
        double[][] cos = new double[length][hd], sin = new double[length][hd];
        for (int t = 0; t < length; t++) {
            for (int i = 0; i < hd / 2; i++) {
                double angle = t * Math.pow(ROPE_BASE, -2.0 * i / hd);
                cos[t][i] = cos[t][i + hd / 2] = Math.cos(angle);
                sin[t][i] = sin[t][i + hd / 2] = Math.sin(angle);
            }
        }
        return new INDArray[] {perRow(cos, dtype, batch, length, heads, hd), perRow(sin, dtype, batch, length, heads, hd)};
    }

    private static INDArray perRow(double[][] byPosition, DataType dtype, int batch, int length, int heads, int hd) {
        INDArray table = Nd4j.createFromArray(byPosition).castTo(dtype).reshape(1, length, 1, hd);
        return Nd4j.tile(table, batch, 1, heads, 1).reshape((long) batch * length * heads, hd);
    }

    /**
     * The "attentionBias" input, [T, T] tiled to [B H, T, T] (full size, as for rope): 0 where query i may look at
     * key j, -1e9 where it may not. The causal model may not look at later positions; neither model looks at the
     * padding, positions {@code visible} and on. Real positions then see exactly what a batch of length
     * {@code visible} would show them, since rotary angles depend only on distance.
     */
    public static INDArray attentionBias(DataType dtype, int batch, int heads, int length, boolean causal, int visible) {
        if (visible < 1 || visible > length) throw new IllegalArgumentException("visible must be in [1, " + length + "]");
        double[][] m = new double[length][length];
        for (int i = 0; i < length; i++) for (int j = 0; j < length; j++) if (j >= visible || (causal && j > i)) m[i][j] = -1e9;
        INDArray mask = Nd4j.createFromArray(m).castTo(dtype).reshape(1, length, length);
        return Nd4j.tile(mask, batch * heads, 1, 1);
    }
}
