package dev.quokka.training.nd4j;

import dev.quokka.training.AdamW;
import dev.quokka.training.Batch;
import dev.quokka.training.Engine;
import dev.quokka.training.ModelShape;
import dev.quokka.training.Objective;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.updaters.AdamUpdater;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The {@link Engine} on ND4J: the {@link Transformer} graph, its gradient graph, and AdamW applied in place with
 * ND4J's fused Adam kernel.
 *
 * <p>Gradients come from running SameDiff's gradient function directly, with its array cache on.
 * {@code SameDiff.calculateGradients} turns that cache off, so every step would allocate every intermediate array
 * afresh: half the step time in M2.1. {@code SameDiffEngineTest} checks that both give the same gradients.
 */
public final class SameDiffEngine implements Engine {
    private static final long MAGIC = 0x51554f4b4b413031L; // "QUOKKA01"

    private record Param(String name, INDArray value, String gradient, INDArray m, INDArray v, boolean decays) {}

    private final ModelShape shape;
    private final int rows, length;
    private final boolean causal;
    private final Objective.Loss loss;
    private final INDArray fullBias;
    private final AdamW adamW;
    private final SameDiff sd, gradFn;
    private final List<Param> params = new ArrayList<>();
    private final String[] outputs;
    private long updates;

    /**
     * @param seed the initialisation seed
     */
    public SameDiffEngine(ModelShape shape, int rows, int length, boolean causal, AdamW adamW, long seed, DataType dtype) {
        this(shape, rows, length, causal, Objective.Loss.CROSS_ENTROPY, adamW, seed, dtype);
    }

    /** @param loss what the graph computes from the logits: the objective's {@link Objective#loss()} */
    public SameDiffEngine(ModelShape shape, int rows, int length, boolean causal, Objective.Loss loss, AdamW adamW, long seed, DataType dtype) {
        this.shape = shape;
        this.rows = rows;
        this.length = length;
        this.adamW = adamW;
        this.causal = causal;
        this.loss = loss;
        this.sd = Transformer.build(shape, rows, length, seed, dtype, loss, Map.of()).sd();
        this.fullBias = Transformer.attentionBias(dtype, rows, shape.heads(), length, causal, length);
        Muted.run(sd::createGradFunction);
        this.gradFn = sd.getFunction("grad");
        gradFn.setEnableCache(true);
        List<String> names = new ArrayList<>(List.of("loss"));
        for (SDVariable p : sd.variables()) {
            if (p.getVariableType() != VariableType.VARIABLE) continue;
            INDArray value = p.getArr();
            String gradient = p.getGradient().name();
            params.add(new Param(p.name(), value, gradient, Nd4j.zerosLike(value), Nd4j.zerosLike(value), value.rank() >= 2));
            names.add(gradient);
        }
        this.outputs = names.toArray(String[]::new);
    }

    /** The float32 engine. */
    public static SameDiffEngine create(ModelShape shape, int rows, int length, boolean causal, AdamW adamW, long seed) {
        return new SameDiffEngine(shape, rows, length, causal, adamW, seed, DataType.FLOAT);
    }

    /** The float32 engine for an objective's attention and loss. */
    public static SameDiffEngine create(ModelShape shape, int rows, int length, Objective objective, AdamW adamW, long seed) {
        return new SameDiffEngine(shape, rows, length, objective.causal(), objective.loss(), adamW, seed, DataType.FLOAT);
    }

    @Override
    public ModelShape shape() {
        return shape;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public long updates() {
        return updates;
    }

    @Override
    public Step step(Batch batch, double lr) {
        Map<String, INDArray> out = gradFn.output(feed(batch, true), List.of(), outputs);
        NativeMemory.collectIfGrown();
        double loss = out.get("loss").getDouble(0);
        Map<String, INDArray> gradients = new HashMap<>();
        for (Param p : params) gradients.put(p.name, out.get(p.gradient));
        return update(loss, gradients, lr);
    }

    /**
     * One AdamW update from gradients computed elsewhere (by name, as {@link #tensors()}; consumed: they become the
     * update), clipped by their global norm. {@code loss} is passed through to the result; if it or the norm is not
     * finite, nothing is updated.
     */
    public Step update(double loss, Map<String, INDArray> gradients, double lr) {
        double norm = norm(gradients);
        if (!Double.isFinite(loss) || !Double.isFinite(norm)) return new Step(loss, norm, false);
        double scale = adamW.clipScale(norm);
        for (Param p : params) {
            INDArray g = gradients.get(p.name);
            if (scale != 1) g.muli(scale);
            if (p.decays && adamW.weightDecay() > 0) p.value.muli(1 - lr * adamW.weightDecay());
            // g becomes the update; the kernel's iteration is 0-based and raises the betas to iteration + 1
            Nd4j.exec(new AdamUpdater(g, p.v, p.m, lr, adamW.beta1(), adamW.beta2(), adamW.eps(), Math.toIntExact(updates)));
            p.value.subi(g);
        }
        updates++;
        return new Step(loss, norm, scale != 1);
    }

    private double norm(Map<String, INDArray> gradients) {
        double squares = 0;
        for (Param p : params) {
            INDArray g = gradients.get(p.name);
            if (g == null) throw new IllegalArgumentException("no gradient for " + p.name);
            double n = g.norm2Number().doubleValue();
            squares += n * n;
        }
        return Math.sqrt(squares);
    }

    /** A parameter with its Adam moments: live arrays, for engines that train elsewhere and copy their state in. */
    public record Tensors(INDArray value, INDArray m, INDArray v) {}

    /** Every parameter's live arrays, by name, in the model's order. */
    public Map<String, Tensors> tensors() {
        Map<String, Tensors> t = new java.util.LinkedHashMap<>();
        for (Param p : params) t.put(p.name, new Tensors(p.value, p.m, p.v));
        return t;
    }

    /** Sets the step count, with {@link #tensors()}: Adam's bias correction depends on it. */
    public void setUpdates(long updates) {
        this.updates = updates;
    }

    /** Gradients for a batch without updating, by name: for tests that compare routes. */
    Map<String, INDArray> gradients(Batch batch) {
        Map<String, INDArray> out = gradFn.output(feed(batch, true), List.of(), outputs);
        Map<String, INDArray> grads = new HashMap<>();
        for (Param p : params) grads.put(p.name, out.get(p.gradient).dup());
        return grads;
    }

    SameDiff sameDiff() {
        return sd;
    }

    /** The graph each step runs (the forward pass and its gradients): for {@link OpProfile}. */
    SameDiff gradientGraph() {
        return gradFn;
    }

    @Override
    public double lossSum(Batch batch) {
        double loss = sd.output(feed(batch, false), "loss").get("loss").getDouble(0);
        NativeMemory.collectIfGrown();
        return loss * rows * length;
    }

    /** One forward pass: the per-position losses, summed per row (padding rows and positions weigh 0). */
    @Override
    public double[] rowLossSums(Batch batch) {
        String name = "loss" + WeightedCrossEntropy.PER_POSITION;
        INDArray perPosition = sd.output(feed(batch, false), name).get(name);
        NativeMemory.collectIfGrown();
        double[] all = perPosition.castTo(DataType.DOUBLE).data().asDouble();
        double[] sums = new double[batch.rows()];
        for (int r = 0; r < sums.length; r++) for (int i = 0; i < batch.length(); i++) sums[r] += all[r * length + i];
        return sums;
    }

    @Override
    public float[] logits(int[] inputs) {
        if (inputs.length != rows * length) throw new IllegalArgumentException("need " + rows * length + " ids");
        Batch b = new Batch(rows, length, inputs, new int[inputs.length], new float[inputs.length],
                loss == Objective.Loss.UNIFORM_ELBO ? new Batch.UniformTerms(inputs.length) : null);
        float[] logits = sd.output(feed(b, false), "logits").get("logits").castTo(DataType.FLOAT).data().asFloat();
        NativeMemory.collectIfGrown();
        return logits;
    }

    /**
     * The graph's inputs. A batch with fewer rows is padded with rows of weight 0, a shorter one (variable length)
     * with positions of weight 0 that attention cannot see (for the uniform kernel: every coefficient 0).
     * {@code asMean}: scale the weights so that the graph's loss is the batch's own mean, sum(w CE) / (its rows * its
     * length), as if it had been run at its own size.
     */
    private Map<String, INDArray> feed(Batch b, boolean asMean) {
        if (b.length() > length || b.rows() > rows) {
            throw new IllegalArgumentException("batch [" + b.rows() + ", " + b.length() + "] does not fit the model's [" + rows + ", " + length + "]");
        }
        if ((b.uniform() != null) != (loss == Objective.Loss.UNIFORM_ELBO)) {
            throw new IllegalArgumentException("a batch " + (b.uniform() != null ? "of the uniform kernel's ELBO" : "of weighted cross-entropy")
                    + " for an engine whose loss is " + loss.name().toLowerCase());
        }
        int n = rows * length, l = b.length();
        DataType dtype = params.get(0).value.dataType();
        double scale = asMean && n != b.rows() * l ? (double) n / ((long) b.rows() * l) : 1;
        int[] ids = pad(b.inputs(), b, 0), targets = pad(b.targets(), b, 0);
        Map<String, INDArray> feed = new HashMap<>();
        feed.put("ids", Nd4j.createFromArray(ids));
        feed.put("picks", Nd4j.createFromArray(WeightedCrossEntropy.picks(targets, shape.vocab())));
        feed.put("attentionBias", l == length ? fullBias : Transformer.attentionBias(dtype, rows, shape.heads(), length, causal, l));
        if (b.uniform() == null) {
            feed.put("weights", scaled(pad(b.weights(), b, 0), scale, dtype));
        } else {
            feed.put(UniformElbo.NOISY_PICKS, Nd4j.createFromArray(WeightedCrossEntropy.picks(ids, shape.vocab())));
            feed.put(UniformElbo.ALPHA, Nd4j.createFromArray(pad(b.uniform().alpha(), b, 0.5f)).castTo(dtype)); // padding: any alpha in (0, 1)
            float[][] c = b.uniform().coefficients();
            for (int i = 0; i < c.length; i++) feed.put(UniformElbo.COEFFICIENTS.get(i), scaled(pad(c[i], b, 0), scale, dtype));
        }
        return feed;
    }

    /** A batch's per-position values laid out in the model's [rows, length], {@code fill} elsewhere. */
    private int[] pad(int[] values, Batch b, int fill) {
        int[] out = new int[rows * length];
        if (fill != 0) Arrays.fill(out, fill);
        for (int r = 0; r < b.rows(); r++) System.arraycopy(values, r * b.length(), out, r * length, b.length());
        return out;
    }

    private float[] pad(float[] values, Batch b, float fill) {
        float[] out = new float[rows * length];
        if (fill != 0) Arrays.fill(out, fill);
        for (int r = 0; r < b.rows(); r++) System.arraycopy(values, r * b.length(), out, r * length, b.length());
        return out;
    }

    /** Per-position loss coefficients in the model's precision, scaled there (as the weights always were). */
    private static INDArray scaled(float[] values, double scale, DataType dtype) {
        INDArray a = Nd4j.createFromArray(values).castTo(dtype);
        return scale == 1 ? a : a.muli(scale);
    }

    @Override
    public Map<String, Weights> parameters() {
        Map<String, Weights> out = new java.util.LinkedHashMap<>();
        for (Param p : params) out.put(p.name, new Weights(p.value.shape(), p.value.dup('c').data().asFloat()));
        return out;
    }

    @Override
    public void setParameters(Map<String, Weights> weights) {
        if (!weights.keySet().equals(new java.util.LinkedHashSet<>(params.stream().map(Param::name).toList()))) {
            throw new IllegalArgumentException("the weights name " + weights.keySet() + ", the model's parameters are " + params.stream().map(Param::name).toList());
        }
        for (Param p : params) {
            Weights w = weights.get(p.name);
            if (!Arrays.equals(w.shape(), p.value.shape())) {
                throw new IllegalArgumentException(p.name + ": shape " + Arrays.toString(w.shape()) + ", the model's " + Arrays.toString(p.value.shape()));
            }
            p.value.assign(Nd4j.createFromArray(w.values()).reshape(p.value.shape()).castTo(p.value.dataType()));
        }
    }

    @Override
    public void save(DataOutputStream out) throws IOException {
        out.writeLong(MAGIC);
        out.writeLong(updates);
        out.writeInt(params.size());
        for (Param p : params) {
            out.writeUTF(p.name);
            long[] s = p.value.shape();
            out.writeInt(s.length);
            for (long d : s) out.writeLong(d);
            for (INDArray a : new INDArray[] {p.value, p.m, p.v}) write(out, a);
        }
    }

    @Override
    public void load(DataInputStream in) throws IOException {
        if (in.readLong() != MAGIC) throw new IOException("not a quokka model state");
        long u = in.readLong();
        int count = in.readInt();
        if (count != params.size()) throw new IOException("the state holds " + count + " tensors, the model " + params.size());
        for (Param p : params) {
            String name = in.readUTF();
            long[] s = new long[in.readInt()];
            for (int i = 0; i < s.length; i++) s[i] = in.readLong();
            if (!name.equals(p.name) || !Arrays.equals(s, p.value.shape())) {
                throw new IOException("state tensor " + name + Arrays.toString(s) + " does not match the model's " + p.name + Arrays.toString(p.value.shape()));
            }
            for (INDArray a : new INDArray[] {p.value, p.m, p.v}) read(in, a);
        }
        updates = u;
    }

    private static void write(DataOutputStream out, INDArray a) throws IOException {
        if (a.dataType() == DataType.DOUBLE) {
            for (double x : a.dup('c').data().asDouble()) out.writeDouble(x);
        } else {
            for (float x : a.dup('c').data().asFloat()) out.writeFloat(x);
        }
    }

    private static void read(DataInputStream in, INDArray a) throws IOException {
        int n = Math.toIntExact(a.length());
        if (a.dataType() == DataType.DOUBLE) {
            double[] x = new double[n];
            for (int i = 0; i < n; i++) x[i] = in.readDouble();
            a.assign(Nd4j.createFromArray(x).reshape(a.shape()));
        } else {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) x[i] = in.readFloat();
            a.assign(Nd4j.createFromArray(x).reshape(a.shape()));
        }
    }
}
