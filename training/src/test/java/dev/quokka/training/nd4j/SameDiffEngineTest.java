package dev.quokka.training.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quokka.training.AdamW;
import dev.quokka.training.Batch;
import dev.quokka.training.Engine;
import dev.quokka.training.MaskSchedule;
import dev.quokka.training.ModelShape;
import dev.quokka.training.Objective;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class SameDiffEngineTest {
    static final ModelShape SHAPE = new ModelShape(11, 8, 2, 2, 12, false);
    static final int B = 3, T = 5;
    static final Objective DLM = new Objective.MaskedDiffusion(10, MaskSchedule.LINEAR, Objective.Weighting.ELBO, 1e-3, null, 0);

    static Batch batch(Objective objective, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[][] windows = new int[B][T + 1];
        for (int[] w : windows) for (int i = 0; i <= T; i++) w[i] = rng.nextInt(4); // few ids: many repeats
        return objective.train(windows, rng, 0.5);
    }

    /** The cached route must give what SameDiff's own calculateGradients gives, bit for bit, step after step. */
    @Test
    void cachedGradientsEqualSameDiffsOwn() {
        for (Objective objective : List.of(new Objective.Autoregressive(), DLM)) {
            SameDiffEngine engine = new SameDiffEngine(SHAPE, B, T, objective.causal(), AdamW.papers(), 1, DataType.FLOAT);
            List<String> names = new ArrayList<>();
            for (SDVariable v : engine.sameDiff().variables()) if (v.getVariableType() == VariableType.VARIABLE) names.add(v.name());
            for (int s = 0; s < 3; s++) {
                Batch b = batch(objective, s);
                Map<String, INDArray> ours = engine.gradients(b);
                Map<String, INDArray> theirs = engine.sameDiff().calculateGradients(feed(b, objective.causal()), names);
                for (String n : names) {
                    assertArrayEquals(theirs.get(n).data().asFloat(), ours.get(n).data().asFloat(), 0f, objective + " step " + s + " " + n);
                }
                engine.step(b, 1e-2); // move on, so the next step reuses cached arrays
            }
        }
    }

    private static Map<String, INDArray> feed(Batch b, boolean causal) {
        return Map.of("ids", org.nd4j.linalg.factory.Nd4j.createFromArray(b.inputs()),
                "picks", org.nd4j.linalg.factory.Nd4j.createFromArray(WeightedCrossEntropy.picks(b.targets(), SHAPE.vocab())),
                "weights", org.nd4j.linalg.factory.Nd4j.createFromArray(b.weights()),
                "attentionBias", Transformer.attentionBias(DataType.FLOAT, b.rows(), SHAPE.heads(), b.length(), causal, b.length()));
    }

    /** Two AdamW steps against the formula, written out in plain Java in double precision, with clipping active. */
    @Test
    void stepsFollowTheAdamWFormula() {
        AdamW opt = new AdamW(0.9, 0.95, 1e-8, 0.1, 0.05); // a clip this small always bites
        SameDiffEngine engine = new SameDiffEngine(SHAPE, B, T, false, opt, 2, DataType.DOUBLE);
        Map<String, double[]> p = new HashMap<>(), m = new HashMap<>(), v = new HashMap<>();
        Map<String, Integer> rank = new HashMap<>();
        for (SDVariable x : engine.sameDiff().variables()) {
            if (x.getVariableType() != VariableType.VARIABLE) continue;
            p.put(x.name(), x.getArr().dup('c').data().asDouble());
            m.put(x.name(), new double[(int) x.getArr().length()]);
            v.put(x.name(), new double[(int) x.getArr().length()]);
            rank.put(x.name(), x.getArr().rank());
        }
        double[] lrs = {3e-3, 1e-3};
        for (int t = 1; t <= 2; t++) {
            Batch b = batch(DLM, 10 + t);
            Map<String, INDArray> g = engine.gradients(b);
            double sq = 0;
            for (INDArray x : g.values()) for (double d : x.dup('c').data().asDouble()) sq += d * d;
            double norm = Math.sqrt(sq), scale = Math.min(1, opt.clipNorm() / (norm + 1e-6));
            double lr = lrs[t - 1], step = lr * Math.sqrt(1 - Math.pow(0.95, t)) / (1 - Math.pow(0.9, t));
            for (String n : p.keySet()) {
                double[] grad = g.get(n).dup('c').data().asDouble(), pn = p.get(n), mn = m.get(n), vn = v.get(n);
                for (int i = 0; i < pn.length; i++) {
                    double gi = grad[i] * scale;
                    if (rank.get(n) >= 2) pn[i] *= 1 - lr * opt.weightDecay();
                    mn[i] = 0.9 * mn[i] + 0.1 * gi;
                    vn[i] = 0.95 * vn[i] + 0.05 * gi * gi;
                    pn[i] -= step * mn[i] / (Math.sqrt(vn[i]) + 1e-8);
                }
            }
            Engine.Step result = engine.step(b, lr);
            assertTrue(result.clipped());
            assertEquals(norm, result.gradNorm(), 1e-12 * norm);
        }
        for (SDVariable x : engine.sameDiff().variables()) {
            if (x.getVariableType() == VariableType.VARIABLE) assertArrayEquals(p.get(x.name()), x.getArr().dup('c').data().asDouble(), 1e-12, x.name());
        }
    }

    /**
     * Variable length: a batch cut to 3 positions, given to an engine of length 5, gives the loss and gradients of
     * an engine of length 3 (no parameter depends on length, so the same seed gives the same initial model).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void aShortBatchTrainsAsAShortModelWould(boolean causal) {
        Objective objective = causal ? new Objective.Autoregressive() : DLM;
        SplittableRandom rng = new SplittableRandom(21);
        int[][] windows = new int[B][4];
        for (int[] w : windows) for (int i = 0; i < 4; i++) w[i] = rng.nextInt(10);
        Batch shortBatch = objective.train(windows, rng, 0);
        assertEquals(3, shortBatch.length());
        SameDiffEngine padded = new SameDiffEngine(SHAPE, B, T, causal, AdamW.papers(), 4, DataType.DOUBLE);
        SameDiffEngine exact = new SameDiffEngine(SHAPE, B, 3, causal, AdamW.papers(), 4, DataType.DOUBLE);
        Map<String, INDArray> a = padded.gradients(shortBatch), b = exact.gradients(shortBatch);
        for (String n : a.keySet()) assertArrayEquals(b.get(n).data().asDouble(), a.get(n).data().asDouble(), 1e-12, n);
        Engine.Step sa = padded.step(shortBatch, 1e-2), sb = exact.step(shortBatch, 1e-2);
        assertEquals(sb.loss(), sa.loss(), 1e-12);
        assertEquals(sb.gradNorm(), sa.gradNorm(), 1e-12);
    }

    /** A saved state, loaded into a differently initialised engine, continues exactly as the original does. */
    /** Per-row losses from one forward pass: each equals the row's own loss alone, and they sum to the batch's. */
    @Test
    void rowLossesAreEachRowsOwn() {
        SameDiffEngine engine = new SameDiffEngine(SHAPE, B, T, false, AdamW.papers(), 4, DataType.DOUBLE);
        Batch b = batch(DLM, 7);
        double[] rows = engine.rowLossSums(b);
        assertEquals(B, rows.length);
        double total = 0;
        for (int r = 0; r < B; r++) {
            total += rows[r];
            assertEquals(engine.lossSum(b.row(r)), rows[r], 1e-9, "row " + r);
        }
        assertEquals(engine.lossSum(b), total, 1e-9);
    }

    @Test
    void savedStateContinuesBitForBit() throws IOException {
        SameDiffEngine a = SameDiffEngine.create(SHAPE, B, T, false, AdamW.papers(), 3);
        for (int s = 0; s < 3; s++) a.step(batch(DLM, s), 1e-2);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        a.save(new DataOutputStream(bytes));
        SameDiffEngine b = SameDiffEngine.create(SHAPE, B, T, false, AdamW.papers(), 99);
        b.load(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertEquals(3, b.updates());
        for (int s = 3; s < 6; s++) {
            Batch batch = batch(DLM, s);
            assertEquals(a.step(batch, 1e-2), b.step(batch, 1e-2));
        }
        Batch probe = batch(DLM, 100);
        assertEquals(a.lossSum(probe), b.lossSum(probe));
    }

    @Test
    void aStateOfAnotherShapeIsRefused() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        SameDiffEngine.create(SHAPE, B, T, false, AdamW.papers(), 3).save(new DataOutputStream(bytes));
        SameDiffEngine other = SameDiffEngine.create(new ModelShape(11, 8, 1, 2, 12, false), B, T, false, AdamW.papers(), 3);
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> other.load(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))));
        assertTrue(e.getMessage().contains("tensors"), e.getMessage());
    }
}
