package dev.quokka.training.nd4j;

import dev.quokka.training.ModelShape;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.validation.GradCheckUtil;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The whole model and loss against finite differences in double, and the causal mask against the future. */
@Tag("slow")
@ExtendWith(DoublePrecision.class)
class TransformerTest {
    static final ModelShape SHAPE = new ModelShape(7, 8, 2, 2, 12, false);
    static final int B = 2, T = 4;

    static Map<String, INDArray> feed(int[] ids, int[] targets) {
        return Map.of("ids", Nd4j.createFromArray(ids), "picks", Nd4j.createFromArray(WeightedCrossEntropy.picks(targets, SHAPE.vocab())));
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void gradientsMatchFiniteDifferences(boolean causal) {
        int[] ids = {3, 3, 1, 6, 0, 3, 3, 2};     // repeated ids
        int[] targets = {3, 1, 1, 0, 3, 3, 2, 5};
        double[] w = {1, 0, 2.5, 0.4, 0, 3, 1, 0.7}; // uneven, zeros as for unmasked positions
        Transformer.Graph g = Transformer.build(SHAPE, B, T, causal, 7, DataType.DOUBLE, Nd4j.createFromArray(w));
        // Larger weights than the 0.02 init, so that attention and norms are far from trivial.
        g.sd().variables().stream().filter(v -> v.getVariableType() == org.nd4j.autodiff.samediff.VariableType.VARIABLE)
                .forEach(v -> v.getArr().assign(Nd4j.randn(DataType.DOUBLE, v.getShape()).muli(0.5).addi(v.name().contains("Norm") ? 1 : 0)));
        assertTrue(GradCheckUtil.checkGradients(g.sd(), feed(ids, targets)), causal ? "causal" : "bidirectional");
    }

    /** Row (b T + t) H + h of the [N H, hd] rotary tables holds position t's angles; mask row i hides j > i. */
    @org.junit.jupiter.api.Test
    void fullSizeConstantsFollowTheRowLayout() {
        SameDiff sd = Transformer.build(SHAPE, B, T, true, 3, DataType.DOUBLE, Nd4j.ones(B * T)).sd();
        INDArray cos = sd.getVariable("ropeCos").getArr(), sin = sd.getVariable("ropeSin").getArr();
        int heads = SHAPE.heads(), hd = SHAPE.headDim();
        assertEquals(List.of((long) B * T * heads, (long) hd), List.of(cos.size(0), cos.size(1)));
        for (int b = 0; b < B; b++) for (int t = 0; t < T; t++) for (int h = 0; h < heads; h++) for (int i = 0; i < hd; i++) {
            double angle = t * Math.pow(Transformer.ROPE_BASE, -2.0 * (i % (hd / 2)) / hd);
            int row = (b * T + t) * heads + h;
            assertEquals(Math.cos(angle), cos.getDouble(row, i), 1e-12);
            assertEquals(Math.sin(angle), sin.getDouble(row, i), 1e-12);
        }
        INDArray mask = sd.getVariable("causalMask").getArr();
        assertEquals(B * heads, mask.size(0));
        for (int r = 0; r < B * heads; r++) for (int i = 0; i < T; i++) for (int j = 0; j < T; j++) {
            assertEquals(j > i ? -1e9 : 0, mask.getDouble(r, i, j), 0);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void onlyTheBidirectionalModelSeesTheFuture(boolean causal) {
        Transformer.Graph g = Transformer.build(SHAPE, B, T, causal, 9, DataType.DOUBLE, Nd4j.ones(B * T));
        int[] a = {1, 2, 3, 4, 5, 6, 0, 1};
        int[] b = a.clone();
        b[2] = 6; // change position 2 of the first sequence
        int[] targets = new int[B * T];
        INDArray la = g.sd().output(feed(a, targets), "logits").get("logits");
        INDArray lb = g.sd().output(feed(b, targets), "logits").get("logits");
        double before = la.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 2)).sub(lb.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 2))).norm1Number().doubleValue();
        double other = la.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(T, 2 * T)).sub(lb.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(T, 2 * T))).norm1Number().doubleValue();
        assertEquals(0, other, 1e-12, "the other sequence is untouched");
        if (causal) assertEquals(0, before, 1e-12, "positions 0 and 1 cannot see position 2");
        else assertTrue(before > 1e-6, "bidirectional positions 0 and 1 see position 2");
    }
}
