package dev.quokka.training.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.validation.GradCheckUtil;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** An embedding lookup with repeated token ids: each row's gradient is the sum over its occurrences. */
@Tag("slow")
@ExtendWith(DoublePrecision.class)
class ScatterAddGatherTest {
    @BeforeAll
    static void fixes() {
        OpFixes.install();
    }

    @Test
    void repeatedIdsAccumulate() {
        int vocab = 6, d = 3;
        int[] ids = {2, 2, 5, 0, 2};
        SameDiff sd = SameDiff.create();
        SDVariable emb = sd.var("emb", Nd4j.rand(DataType.DOUBLE, vocab, d).subi(0.5));
        SDVariable idx = sd.placeHolder("ids", DataType.INT32, ids.length);
        SDVariable looked = new ScatterAddGather(sd, emb, idx, 0).outputVariable(); // [5, d]
        double[][] c = new double[ids.length][d];
        for (int i = 0; i < ids.length; i++) for (int j = 0; j < d; j++) c[i][j] = 0.1 * (i + 1) + 0.01 * j;
        SDVariable loss = looked.mul(sd.constant(Nd4j.createFromArray(c))).sum("loss");
        sd.setLossVariables(loss);
        Map<String, INDArray> feed = Map.of("ids", Nd4j.createFromArray(ids));
        INDArray g = sd.calculateGradients(feed, "emb").get("emb");
        for (int v = 0; v < vocab; v++) {
            for (int j = 0; j < d; j++) {
                double expected = 0;
                for (int i = 0; i < ids.length; i++) if (ids[i] == v) expected += c[i][j];
                assertEquals(expected, g.getDouble(v, j), 1e-12, "d loss / d emb[" + v + "][" + j + "]");
            }
        }
        assertTrue(GradCheckUtil.checkGradients(sd, feed));
    }

    /** At a real batch's size, where libnd4j would split the indices over threads: no update may be lost. */
    @Test
    void manyRepeatsOverThreadsLoseNothing() {
        int vocab = 5, d = 64, n = 8192;
        int[] ids = new int[n];
        int[] count = new int[vocab];
        for (int i = 0; i < n; i++) count[ids[i] = (i * 7) % vocab]++;
        SameDiff sd = SameDiff.create();
        SDVariable emb = sd.var("emb", Nd4j.zeros(DataType.DOUBLE, vocab, d));
        SDVariable idx = sd.placeHolder("ids", DataType.INT32, n);
        sd.setLossVariables(new ScatterAddGather(sd, emb, idx, 0).outputVariable().sum("loss"));
        INDArray g = sd.calculateGradients(Map.of("ids", Nd4j.createFromArray(ids)), "emb").get("emb");
        for (int v = 0; v < vocab; v++) {
            for (int j = 0; j < d; j++) assertEquals(count[v], g.getDouble(v, j), 0, "occurrences of id " + v + " in column " + j);
        }
    }
}
