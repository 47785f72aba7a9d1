package dev.quokka.training.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.quokka.training.Batch;
import dev.quokka.training.MaskSchedule;
import dev.quokka.training.ModelShape;
import dev.quokka.training.Objective;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** K models in one graph against K separate {@link Transformer}s, in double precision. */
@ExtendWith(DoublePrecision.class)
class BatchedTransformerTest {
    static final int B = 2, T = 5, V = 11;
    static final Objective AR = new Objective.Autoregressive();
    static final Objective DLM = new Objective.MaskedDiffusion(10, MaskSchedule.LINEAR, Objective.Weighting.ELBO, 1e-3, null, 0);

    /** Three runs of one shape with their own seeds, data and objectives (AR, DLM, AR: causal or not by the bias). */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void eachRunsLossAndGradientAreItsSeparateModels(boolean tied) {
        ModelShape shape = new ModelShape(V, 8, 2, 2, 12, tied);
        List<Long> seeds = List.of(3L, 5L, 7L);
        List<Objective> objectives = List.of(AR, DLM, AR);
        List<Batch> batches = new ArrayList<>();
        for (int r = 0; r < seeds.size(); r++) batches.add(batch(objectives.get(r), 100 + r));

        BatchedTransformer.Graph batched = BatchedTransformer.build(shape, seeds, B, T, DataType.DOUBLE);
        List<String> names = List.copyOf(Transformer.parameterShapes(shape).keySet());
        Map<String, INDArray> feed = batchedFeed(batches, objectives, shape);
        Map<String, INDArray> grads = batched.sd().calculateGradients(feed, names);
        INDArray losses = batched.sd().output(feed, "losses").get("losses");

        for (int r = 0; r < seeds.size(); r++) {
            Transformer.Graph one = Transformer.build(shape, B, T, seeds.get(r), DataType.DOUBLE, null);
            Batch b = batches.get(r);
            Map<String, INDArray> f = Map.of("ids", Nd4j.createFromArray(b.inputs()),
                    "picks", Nd4j.createFromArray(WeightedCrossEntropy.picks(b.targets(), V)),
                    "weights", Nd4j.createFromArray(b.weights()).castTo(DataType.DOUBLE),
                    "attentionBias", Transformer.attentionBias(DataType.DOUBLE, B, shape.heads(), T, objectives.get(r).causal(), T));
            double loss = one.sd().output(f, "loss").get("loss").getDouble(0);
            assertEquals(loss, losses.getDouble(r), 1e-12 * Math.abs(loss), "run " + r + "'s loss");
            Map<String, INDArray> own = one.sd().calculateGradients(f, names);
            for (String n : names) {
                double[] expected = own.get(n).dup('c').data().asDouble();
                double[] got = grads.get(n).slice(r).dup('c').data().asDouble();
                double scale = 0;
                for (double e : expected) scale = Math.max(scale, Math.abs(e));
                assertArrayEquals(expected, got, 1e-10 * scale + 1e-15, "run " + r + ", " + n + (tied ? " (tied)" : ""));
            }
        }
    }

    static Batch batch(Objective objective, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[][] windows = new int[B][T + 1];
        for (int[] w : windows) for (int i = 0; i <= T; i++) w[i] = rng.nextInt(V - 1);
        return objective.train(windows, rng, 0.5);
    }

    static Map<String, INDArray> batchedFeed(List<Batch> batches, List<Objective> objectives, ModelShape shape) {
        List<int[]> ids = batches.stream().map(Batch::inputs).toList();
        List<int[]> targets = batches.stream().map(Batch::targets).toList();
        double[] weights = new double[batches.size() * B * T];
        INDArray[] biases = new INDArray[batches.size()];
        for (int r = 0; r < batches.size(); r++) {
            float[] w = batches.get(r).weights();
            for (int i = 0; i < w.length; i++) weights[r * B * T + i] = w[i];
            biases[r] = Transformer.attentionBias(DataType.DOUBLE, B, shape.heads(), T, objectives.get(r).causal(), T);
        }
        return Map.of("ids", Nd4j.createFromArray(BatchedTransformer.ids(ids, shape.vocab())),
                "picks", Nd4j.createFromArray(BatchedTransformer.picks(targets, shape.vocab())),
                "weights", Nd4j.createFromArray(weights),
                "attentionBias", Nd4j.concat(0, biases));
    }
}
