package dev.quokka.training.nd4j;

import dev.quokka.training.Batch;
import dev.quokka.training.MaskSchedule;
import dev.quokka.training.ModelShape;
import dev.quokka.training.Objective;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Forward, backward and updates together, in float32: a tiny model memorises a fixed batch with plain Adam. */
@Tag("slow")
class LearnsTest {

    @Test
    void autoregressiveAndDiffusionModelsFitAFixedBatch() {
        double[] ar = fit(new Objective.Autoregressive());
        assertTrue(Math.abs(ar[0] - Math.log(16)) < 0.05 && ar[1] < 0.3, "AR loss " + ar[0] + " -> " + ar[1]);
        // The DLM's ELBO stays higher (a fully masked row can only be guessed from the batch's marginals, and at T = 8
        // the forced-mask bias roughly doubles the ELBO), but it must fall clearly.
        double[] dlm = fit(new Objective.MaskedDiffusion(15, MaskSchedule.LINEAR, Objective.Weighting.ELBO, 1e-3, null, 0));
        assertTrue(dlm[1] < 0.8 * dlm[0], "DLM loss " + dlm[0] + " -> " + dlm[1]); // measured: 5.85 -> 3.88
    }

    /** The mean loss of 10 fresh batches at the initial parameters, and after 150 Adam steps. */
    private static double[] fit(Objective objective) {
        ModelShape shape = new ModelShape(16, 32, 1, 2, 64, false);
        int b = 4, t = 8;
        SplittableRandom rng = new SplittableRandom(3);
        int[][] windows = new int[b][t + 1];
        for (int[] w : windows) for (int i = 0; i <= t; i++) w[i] = rng.nextInt(15); // id 15 is the mask
        Transformer.Graph g = Transformer.build(shape, b, t, 5, DataType.FLOAT, null);
        List<SDVariable> params = g.sd().variables().stream().filter(v -> v.getVariableType() == VariableType.VARIABLE).toList();
        Map<String, INDArray> m = new HashMap<>(), v = new HashMap<>();
        params.forEach(p -> {
            m.put(p.name(), Nd4j.zerosLike(p.getArr()));
            v.put(p.name(), Nd4j.zerosLike(p.getArr()));
        });
        double lr = 1e-2, b1 = 0.9, b2 = 0.95;
        double before = evaluate(g, objective, windows, shape);
        for (int step = 1; step <= 150; step++) {
            Map<String, INDArray> feed = feed(objective.train(windows, rng, step / 150.0), shape, objective.causal());
            Map<String, INDArray> grads = g.sd().calculateGradients(feed, params.stream().map(SDVariable::name).toList());
            for (SDVariable p : params) {
                INDArray grad = grads.get(p.name());
                m.get(p.name()).muli(b1).addi(grad.mul(1 - b1));
                v.get(p.name()).muli(b2).addi(grad.mul(grad).muli(1 - b2));
                INDArray mHat = m.get(p.name()).div(1 - Math.pow(b1, step));
                INDArray vHat = v.get(p.name()).div(1 - Math.pow(b2, step));
                p.getArr().subi(mHat.divi(Transforms.sqrt(vHat).addi(1e-8)).muli(lr));
            }
        }
        return new double[] {before, evaluate(g, objective, windows, shape)};
    }

    /** The validation loss: exact NLL for AR, the stratified deterministic ELBO (K = 16) for the DLM. */
    private static double evaluate(Transformer.Graph g, Objective objective, int[][] windows, ModelShape shape) {
        if (objective instanceof Objective.Autoregressive ar) {
            return g.sd().output(feed(ar.batch(windows), shape, true), "loss").get("loss").getDouble(0);
        }
        Batch all = ((Objective.MaskedDiffusion) objective).validation(windows, 16, 7);
        // The graph takes B rows at a time: average the 16 slices (copy k of every sequence).
        int n = windows.length * all.length();
        double sum = 0;
        for (int k = 0; k < 16; k++) {
            int[] in = new int[n], out = new int[n];
            float[] w = new float[n];
            for (int r = 0; r < windows.length; r++) {
                int from = (r * 16 + k) * all.length();
                System.arraycopy(all.inputs(), from, in, r * all.length(), all.length());
                System.arraycopy(all.targets(), from, out, r * all.length(), all.length());
                System.arraycopy(all.weights(), from, w, r * all.length(), all.length());
            }
            sum += g.sd().output(feed(new Batch(windows.length, all.length(), in, out, w), shape, false), "loss").get("loss").getDouble(0);
        }
        return sum / 16;
    }

    private static Map<String, INDArray> feed(Batch batch, ModelShape shape, boolean causal) {
        return Map.of("ids", Nd4j.createFromArray(batch.inputs()),
                "picks", Nd4j.createFromArray(WeightedCrossEntropy.picks(batch.targets(), shape.vocab())),
                "weights", Nd4j.createFromArray(batch.weights()),
                "attentionBias", Transformer.attentionBias(DataType.FLOAT, batch.rows(), shape.heads(), batch.length(), causal, batch.length()));
    }
}
