package dev.quokka.training.nd4j;

import dev.quokka.training.AdamW;
import dev.quokka.training.Batch;
import dev.quokka.training.Engine;
import dev.quokka.training.ModelShape;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
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
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * K runs of one shape trained by one graph ({@link BatchedTransformer}): one forward and backward pass for all of them,
 * then each run's own AdamW update on its slice of every parameter, with its own settings and learning rate, its own
 * global-norm clipping, its own Adam moments and step count. Nothing is reduced across runs.
 *
 * <p>Each run is also an {@link Engine} ({@link #member}) for everything but the step: its evaluations run on a
 * single-run {@link SameDiffEngine} holding a copy of its parameters, so they do not depend on its companions, and it
 * saves and loads in {@link SameDiffEngine}'s format, so a run trained here can be resumed or extended alone.
 */
public final class BatchedEngine {
    private record Param(String name, INDArray value, String gradient, INDArray m, INDArray v, boolean decays) {}

    private final ModelShape shape;
    private final int k, rows, length;
    private final boolean[] causal;
    private final AdamW[] adamW;
    private final SameDiff sd, gradFn;
    private final List<Param> params = new ArrayList<>();
    private final String[] outputs;
    private final long[] updates;
    private final SameDiffEngine[] evaluators;
    private final INDArray fullBias; // every slot at full length: the attention bias of most steps, built once

    /**
     * @param seeds  each run's initialisation seed (K = their number)
     * @param causal each run's attention: causal (AR) or not (diffusion)
     * @param adamW  each run's optimiser settings
     */
    public BatchedEngine(ModelShape shape, int rows, int length, boolean[] causal, List<AdamW> adamW, List<Long> seeds, DataType dtype) {
        if (causal.length != seeds.size() || adamW.size() != seeds.size()) {
            throw new IllegalArgumentException("one attention kind and one optimiser per run: " + causal.length + " and " + adamW.size() + " for " + seeds.size() + " runs");
        }
        this.shape = shape;
        this.k = seeds.size();
        this.rows = rows;
        this.length = length;
        this.causal = causal.clone();
        this.adamW = adamW.toArray(AdamW[]::new);
        this.sd = BatchedTransformer.build(shape, seeds, rows, length, dtype).sd();
        Muted.run(sd::createGradFunction);
        this.gradFn = sd.getFunction("grad");
        gradFn.setEnableCache(true);
        List<String> names = new ArrayList<>(List.of("losses"));
        for (SDVariable p : sd.variables()) {
            if (p.getVariableType() != VariableType.VARIABLE) continue;
            INDArray value = p.getArr();
            params.add(new Param(p.name(), value, p.getGradient().name(), Nd4j.zerosLike(value), Nd4j.zerosLike(value), value.rank() >= 3));
            names.add(p.getGradient().name());
        }
        this.outputs = names.toArray(String[]::new);
        this.updates = new long[k];
        this.evaluators = new SameDiffEngine[k];
        for (int r = 0; r < k; r++) evaluators[r] = new SameDiffEngine(shape, rows, length, causal[r], this.adamW[r], seeds.get(r), dtype);
        INDArray[] biases = new INDArray[k];
        for (int r = 0; r < k; r++) biases[r] = Transformer.attentionBias(dtype, rows, shape.heads(), length, causal[r], length);
        this.fullBias = Nd4j.concat(0, biases);
    }

    public int runs() {
        return k;
    }

    /**
     * One step of every run: run r trains on {@code batches.get(r)} at {@code lrs[r]}, or sits out when its batch is
     * null (its slot is fed weights of 0 and nothing of it is updated). The results, null for runs that sat out.
     * As {@link SameDiffEngine#step}, a run whose loss or gradient norm is not finite is not updated.
     */
    public List<Engine.Step> step(List<Batch> batches, double[] lrs) {
        if (batches.size() != k || lrs.length != k) throw new IllegalArgumentException("one batch and one learning rate per run (" + k + ")");
        Map<String, INDArray> out = gradFn.output(feed(batches), List.of(), outputs);
        NativeMemory.collectIfGrown();
        INDArray losses = out.get("losses");
        List<Engine.Step> steps = new ArrayList<>();
        for (int r = 0; r < k; r++) {
            if (batches.get(r) == null) {
                steps.add(null);
                continue;
            }
            Map<String, INDArray> gradients = new HashMap<>();
            for (Param p : params) gradients.put(p.name, out.get(p.gradient).slice(r));
            steps.add(update(r, losses.getDouble(r), gradients, lrs[r]));
        }
        return steps;
    }

    /** Run r's AdamW update on its slices, exactly as {@link SameDiffEngine#update} does for a run alone. */
    private Engine.Step update(int r, double loss, Map<String, INDArray> gradients, double lr) {
        double squares = 0;
        for (Param p : params) {
            double n = gradients.get(p.name).norm2Number().doubleValue();
            squares += n * n;
        }
        double norm = Math.sqrt(squares);
        if (!Double.isFinite(loss) || !Double.isFinite(norm)) return new Engine.Step(loss, norm, false);
        AdamW opt = adamW[r];
        double scale = opt.clipScale(norm);
        for (Param p : params) {
            INDArray g = gradients.get(p.name), value = p.value.slice(r);
            if (scale != 1) g.muli(scale);
            if (p.decays && opt.weightDecay() > 0) value.muli(1 - lr * opt.weightDecay());
            Nd4j.exec(new AdamUpdater(g, p.v.slice(r), p.m.slice(r), lr, opt.beta1(), opt.beta2(), opt.eps(), Math.toIntExact(updates[r])));
            value.subi(g);
        }
        updates[r]++;
        return new Engine.Step(loss, norm, scale != 1);
    }

    /** The stacked inputs; each slot as {@link SameDiffEngine}'s feed makes it for its run, with {@code asMean}. */
    private Map<String, INDArray> feed(List<Batch> batches) {
        int n = rows * length;
        DataType dtype = params.get(0).value.dataType();
        List<int[]> ids = new ArrayList<>(), targets = new ArrayList<>();
        INDArray weights = Nd4j.zeros(dtype, (long) k * n);
        INDArray[] biases = new INDArray[k];
        boolean full = true;
        for (int r = 0; r < k; r++) {
            Batch b = batches.get(r);
            int l = b == null ? length : b.length();
            int[] slotIds = new int[n], slotTargets = new int[n];
            float[] w = new float[n];
            if (b != null) {
                if (b.length() > length || b.rows() > rows) {
                    throw new IllegalArgumentException("batch [" + b.rows() + ", " + b.length() + "] does not fit the model's [" + rows + ", " + length + "]");
                }
                for (int i = 0; i < b.rows(); i++) {
                    System.arraycopy(b.inputs(), i * l, slotIds, i * length, l);
                    System.arraycopy(b.targets(), i * l, slotTargets, i * length, l);
                    System.arraycopy(b.weights(), i * l, w, i * length, l);
                }
            }
            ids.add(slotIds);
            targets.add(slotTargets);
            INDArray slot = Nd4j.createFromArray(w).castTo(dtype);
            if (b != null && n != b.rows() * l) slot.muli((double) n / ((long) b.rows() * l));
            weights.get(NDArrayIndex.interval((long) r * n, (long) (r + 1) * n)).assign(slot);
            full &= l == length;
            biases[r] = l == length ? null : Transformer.attentionBias(dtype, rows, shape.heads(), length, causal[r], l);
        }
        INDArray bias = fullBias;
        if (!full) {
            for (int r = 0; r < k; r++) if (biases[r] == null) biases[r] = fullBias.get(NDArrayIndex.interval((long) r * rows * shape.heads(), (long) (r + 1) * rows * shape.heads()));
            bias = Nd4j.concat(0, biases);
        }
        return Map.of("ids", Nd4j.createFromArray(BatchedTransformer.ids(ids, shape.vocab())),
                "picks", Nd4j.createFromArray(BatchedTransformer.picks(targets, shape.vocab())),
                "weights", weights,
                "attentionBias", bias);
    }

    /** Run r as an {@link Engine}: everything but {@link Engine#step}, which only {@link #step(List, double[])} takes. */
    public Engine member(int r) {
        return new Member(r);
    }

    private final class Member implements Engine {
        private final int r;

        Member(int r) {
            this.r = r;
        }

        /** The run's single-run engine, holding its parameters, moments and step count as they are now. */
        private SameDiffEngine synced() {
            SameDiffEngine e = evaluators[r];
            Map<String, SameDiffEngine.Tensors> t = e.tensors();
            for (Param p : params) {
                SameDiffEngine.Tensors dst = t.get(p.name);
                dst.value().assign(p.value.slice(r));
                dst.m().assign(p.m.slice(r));
                dst.v().assign(p.v.slice(r));
            }
            e.setUpdates(updates[r]);
            return e;
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
        public Step step(Batch batch, double lr) {
            throw new UnsupportedOperationException("a batched run steps with its companions (BatchedEngine.step)");
        }

        @Override
        public double lossSum(Batch batch) {
            return synced().lossSum(batch);
        }

        @Override
        public double[] rowLossSums(Batch batch) {
            return synced().rowLossSums(batch);
        }

        @Override
        public float[] logits(int[] inputs) {
            return synced().logits(inputs);
        }

        @Override
        public long updates() {
            return updates[r];
        }

        @Override
        public Map<String, Object> describe() {
            return Map.of("kind", "batched", "runs", k, "slot", r);
        }

        @Override
        public void save(DataOutputStream out) throws IOException {
            synced().save(out);
        }

        @Override
        public void load(DataInputStream in) throws IOException {
            SameDiffEngine e = evaluators[r];
            e.load(in);
            Map<String, SameDiffEngine.Tensors> t = e.tensors();
            for (Param p : params) {
                SameDiffEngine.Tensors src = t.get(p.name);
                p.value.slice(r).assign(src.value());
                p.m.slice(r).assign(src.m());
                p.v.slice(r).assign(src.v());
            }
            updates[r] = e.updates();
        }
    }
}
