package dev.quokka.training.nd4j;

import dev.quokka.training.Batch;
import dev.quokka.training.MaskSchedule;
import dev.quokka.training.ModelShape;
import dev.quokka.training.Objective;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.validation.GradCheckUtil;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The whole model and loss against finite differences in double, and the attention mask against the future. */
@Tag("slow")
@ExtendWith(DoublePrecision.class)
class TransformerTest {
    static final ModelShape SHAPE = new ModelShape(7, 8, 2, 2, 12, false);
    static final int B = 2, T = 4, MASK = 6;

    static Map<String, INDArray> feed(int[] ids, int[] targets, boolean causal) {
        return Map.of("ids", Nd4j.createFromArray(ids), "picks", Nd4j.createFromArray(WeightedCrossEntropy.picks(targets, SHAPE.vocab())),
                "attentionBias", Transformer.attentionBias(DataType.DOUBLE, B, SHAPE.heads(), T, causal, T));
    }

    /**
     * AR, and the diffusion objective under each weighting, each with the batch it really makes. Schedules change
     * only the weights fed to the same graph, so one weighting each covers them (the weights' values are
     * ObjectiveTest's); each check costs about 25 seconds of the test suite.
     */
    static Stream<Objective> objectives() {
        return Stream.of(new Objective.Autoregressive(),
                new Objective.MaskedDiffusion(MASK, MaskSchedule.LINEAR, Objective.Weighting.ELBO_REALISED, 1e-3, null, 0),
                new Objective.MaskedDiffusion(MASK, MaskSchedule.POLY2, Objective.Weighting.ELBO, 1e-3, null, 0),
                new Objective.MaskedDiffusion(MASK, MaskSchedule.COSINE, Objective.Weighting.MASKGIT, 1e-3, null, 0));
    }

    /**
     * Seed 0 included: ND4J's generator takes a root seed of 0 from the clock, so before the weights came from
     * {@link dev.quokka.training.SeededNormal} two calls a few milliseconds apart disagreed (and so did two processes).
     */
    @Test
    void initialValuesAreAFunctionOfTheSeedAlone() throws InterruptedException {
        for (long seed : new long[] {0, 1}) {
            Map<String, INDArray> a = Transformer.initialParameters(SHAPE, seed, DataType.FLOAT);
            Thread.sleep(20);
            Map<String, INDArray> b = Transformer.initialParameters(SHAPE, seed, DataType.FLOAT);
            assertEquals(a.keySet(), b.keySet());
            a.forEach((name, value) -> assertEquals(value, b.get(name), name + ", seed " + seed));
        }
        INDArray embedding = Transformer.initialParameters(new ModelShape(4096, 64, 1, 2, 96, false), 3, DataType.FLOAT).get("embedding");
        assertEquals(0.02, embedding.stdNumber().doubleValue(), 0.0005);
        assertEquals(0, embedding.meanNumber().doubleValue(), 0.0005);
        assertTrue(!Transformer.initialParameters(SHAPE, 0, DataType.FLOAT).get("l0.wq").equals(Transformer.initialParameters(SHAPE, 1, DataType.FLOAT).get("l0.wq")));
    }

    @ParameterizedTest
    @MethodSource("objectives")
    void gradientsMatchFiniteDifferences(Objective objective) {
        int[][] windows = {{3, 3, 1, 3, 0}, {0, 3, 3, 2, 5}}; // repeated ids
        Batch batch = objective.train(windows, new SplittableRandom(5), 0.5);
        boolean weighted = false;
        for (float w : batch.weights()) weighted |= w != 0 && w != 1;
        assertTrue(weighted || objective.causal(), "the diffusion weights are uneven: " + java.util.Arrays.toString(batch.weights()));
        INDArray w = Nd4j.createFromArray(batch.weights()).castTo(DataType.DOUBLE);
        Transformer.Graph g = Transformer.build(SHAPE, B, T, 7, DataType.DOUBLE, w);
        // Larger weights than the 0.02 init, so that attention and norms are far from trivial.
        g.sd().variables().stream().filter(v -> v.getVariableType() == VariableType.VARIABLE)
                .forEach(v -> v.getArr().assign(Nd4j.randn(DataType.DOUBLE, v.getShape()).muli(0.5).addi(v.name().contains("Norm") ? 1 : 0)));
        // GradCheckUtil checks floating-point placeholders too, and reads their arrays from the graph, not the feed.
        Map<String, INDArray> feed = feed(batch.inputs(), batch.targets(), objective.causal());
        g.sd().getVariable("attentionBias").setArray(feed.get("attentionBias"));
        assertTrue(GradCheckUtil.checkGradients(g.sd(), feed), objective.toString());
    }

    /**
     * The uniform kernel's ELBO graph, with the batch the objective really makes. One schedule: the schedules differ
     * only in the coefficients fed to the same graph (their values are checked in UniformKernelTest). Its MaskGIT
     * weighting is the cross-entropy graph checked above.
     */
    @Test
    void uniformKernelGradientsMatchFiniteDifferences() {
        MaskSchedule schedule = MaskSchedule.LINEAR;
        Objective.UniformDiffusion objective = new Objective.UniformDiffusion(SHAPE.vocab(), schedule, Objective.Weighting.ELBO, 1e-3, null, 0);
        int[][] windows = {{3, 3, 1, 3, 0}, {0, 3, 3, 2, 5}};
        Batch batch = objective.train(windows, new SplittableRandom(3), 0.5);
        boolean redrawn = false;
        for (int i = 0; i < batch.inputs().length; i++) redrawn |= batch.inputs()[i] != batch.targets()[i];
        assertTrue(redrawn, "some token changed: " + java.util.Arrays.toString(batch.inputs()));
        Map<String, INDArray> fixed = new java.util.HashMap<>();
        fixed.put(UniformElbo.ALPHA, Nd4j.createFromArray(batch.uniform().alpha()));
        float[][] c = batch.uniform().coefficients();
        for (int i = 0; i < c.length; i++) fixed.put(UniformElbo.COEFFICIENTS.get(i), Nd4j.createFromArray(c[i]));
        Transformer.Graph g = Transformer.build(SHAPE, B, T, 7, DataType.DOUBLE, Objective.Loss.UNIFORM_ELBO, fixed);
        g.sd().variables().stream().filter(v -> v.getVariableType() == VariableType.VARIABLE)
                .forEach(v -> v.getArr().assign(Nd4j.randn(DataType.DOUBLE, v.getShape()).muli(0.5).addi(v.name().contains("Norm") ? 1 : 0)));
        Map<String, INDArray> feed = new java.util.HashMap<>(feed(batch.inputs(), batch.targets(), false));
        feed.put(UniformElbo.NOISY_PICKS, Nd4j.createFromArray(WeightedCrossEntropy.picks(batch.inputs(), SHAPE.vocab())));
        g.sd().getVariable("attentionBias").setArray(feed.get("attentionBias"));
        assertTrue(GradCheckUtil.checkGradients(g.sd(), feed), schedule.toString());
    }

    /** Row (b T + t) H + h of the [N H, hd] rotary tables holds position t's angles; bias row i hides j > i and padding. */
    @Test
    void fullSizeTablesFollowTheRowLayout() {
        SameDiff sd = Transformer.build(SHAPE, B, T, 3, DataType.DOUBLE, Nd4j.ones(B * T)).sd();
        INDArray cos = sd.getVariable("ropeCos").getArr(), sin = sd.getVariable("ropeSin").getArr();
        int heads = SHAPE.heads(), hd = SHAPE.headDim();
        assertEquals(List.of((long) B * T * heads, (long) hd), List.of(cos.size(0), cos.size(1)));
        for (int b = 0; b < B; b++) for (int t = 0; t < T; t++) for (int h = 0; h < heads; h++) for (int i = 0; i < hd; i++) {
            double angle = t * Math.pow(Transformer.ROPE_BASE, -2.0 * (i % (hd / 2)) / hd);
            int row = (b * T + t) * heads + h;
            assertEquals(Math.cos(angle), cos.getDouble(row, i), 1e-12);
            assertEquals(Math.sin(angle), sin.getDouble(row, i), 1e-12);
        }
        for (boolean causal : new boolean[] {true, false}) {
            INDArray bias = Transformer.attentionBias(DataType.DOUBLE, B, heads, T, causal, 3);
            assertEquals(B * heads, bias.size(0));
            for (int r = 0; r < B * heads; r++) for (int i = 0; i < T; i++) for (int j = 0; j < T; j++) {
                assertEquals(j >= 3 || (causal && j > i) ? -1e9 : 0, bias.getDouble(r, i, j), 0);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void onlyTheBidirectionalModelSeesTheFuture(boolean causal) {
        Transformer.Graph g = Transformer.build(SHAPE, B, T, 9, DataType.DOUBLE, Nd4j.ones(B * T));
        int[] a = {1, 2, 3, 4, 5, 6, 0, 1};
        int[] b = a.clone();
        b[2] = 6; // change position 2 of the first sequence
        int[] targets = new int[B * T];
        INDArray la = g.sd().output(feed(a, targets, causal), "logits").get("logits");
        INDArray lb = g.sd().output(feed(b, targets, causal), "logits").get("logits");
        double before = la.get(NDArrayIndex.interval(0, 2)).sub(lb.get(NDArrayIndex.interval(0, 2))).norm1Number().doubleValue();
        double other = la.get(NDArrayIndex.interval(T, 2 * T)).sub(lb.get(NDArrayIndex.interval(T, 2 * T))).norm1Number().doubleValue();
        assertEquals(0, other, 1e-12, "the other sequence is untouched");
        if (causal) assertEquals(0, before, 1e-12, "positions 0 and 1 cannot see position 2");
        else assertTrue(before > 1e-6, "bidirectional positions 0 and 1 see position 2");
    }
}
