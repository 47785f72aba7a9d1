package dev.quokka.training.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.validation.GradCheckUtil;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The in-graph loss against plain Java, and its gradient against the analytic one and finite differences, in double. */
@Tag("slow")
@ExtendWith(DoublePrecision.class)
class WeightedCrossEntropyTest {

    @Test
    void valueAndGradientWithRepeatedTargetsAndUnevenWeights() {
        int n = 7, v = 5;
        Random rnd = new Random(1);
        double[][] z = new double[n][v];
        for (double[] row : z) for (int j = 0; j < v; j++) row[j] = rnd.nextGaussian() * 2;
        int[] y = {3, 3, 0, 4, 3, 1, 0}; // repeated targets
        double[] w = {1.0, 0.0, 2.5, 0.3, 7.0, 0.0, 1.2}; // uneven, with zeros as for unmasked positions

        SameDiff sd = SameDiff.create();
        SDVariable logits = sd.var("logits", Nd4j.createFromArray(z));
        SDVariable picks = sd.placeHolder("picks", DataType.INT32, n);
        // A constant: GradCheckUtil would treat a floating-point placeholder as something to differentiate.
        SDVariable weights = sd.constant("weights", Nd4j.createFromArray(w));
        SDVariable loss = WeightedCrossEntropy.loss(sd, "loss", logits, picks, weights);
        sd.setLossVariables(loss);
        Map<String, INDArray> feed = Map.of("picks", Nd4j.createFromArray(WeightedCrossEntropy.picks(y, v)));

        double expected = 0;
        double[][] softmax = new double[n][v];
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (double x : z[i]) max = Math.max(max, x);
            for (double x : z[i]) sum += Math.exp(x - max);
            for (int j = 0; j < v; j++) softmax[i][j] = Math.exp(z[i][j] - max) / sum;
            expected += w[i] * (max + Math.log(sum) - z[i][y[i]]);
        }
        expected /= n;
        assertEquals(expected, sd.output(feed, "loss").get("loss").getDouble(0), 1e-12);

        // Analytic: dL/dz_ij = w_i (softmax_ij - 1[j = y_i]) / n.
        INDArray grad = sd.calculateGradients(feed, "logits").get("logits");
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < v; j++) {
                double g = w[i] * (softmax[i][j] - (j == y[i] ? 1 : 0)) / n;
                assertEquals(g, grad.getDouble(i, j), 1e-12, "dL/dz[" + i + "][" + j + "]");
            }
        }
        assertTrue(GradCheckUtil.checkGradients(sd, feed), "finite differences");
    }
}
