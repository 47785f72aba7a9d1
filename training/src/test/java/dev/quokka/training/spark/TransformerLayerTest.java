package dev.quokka.training.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quokka.training.AdamW;
import dev.quokka.training.Batch;
import dev.quokka.training.ModelShape;
import dev.quokka.training.nd4j.DoublePrecision;
import dev.quokka.training.nd4j.SameDiffEngine;
import java.util.SplittableRandom;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * The transformer inside DL4J (docs/nd4j.md, trap 1: stacked SameDiff layers get wrong gradients, a single output layer does
 * not): DL4J's own gradient check in double precision, with repeated token ids and uneven loss weights, and the
 * layer's score equal to the single-process engine's loss at the same parameters.
 */
@Tag("slow")
@ExtendWith(DoublePrecision.class)
class TransformerLayerTest {
    static final ModelShape SHAPE = new ModelShape(13, 8, 2, 2, 6, false); // small, as every parameter is checked
    static final int ROWS = 2, LENGTH = 5;

    static ComputationGraph graph(boolean causal) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).updater(new NoOp())
                .graphBuilder().addInputs("ids").setInputTypes(InputType.feedForward(LENGTH))
                .addLayer("model", new TransformerLayer(SHAPE, ROWS, LENGTH, causal, 3), "ids").setOutputs("model").build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    /** Ids with repeats (3 twice in a row, 7 in both rows), targets, and weights from 0 to 2.5. */
    static Batch batch() {
        int[] ids = {3, 3, 7, 1, 12, 7, 0, 5, 5, 9};
        int[] targets = {4, 7, 1, 12, 2, 0, 5, 5, 9, 11};
        float[] w = {1f, 0f, 2.5f, 0.5f, 1f, 1.5f, 0f, 2f, 1f, 0.25f};
        return new Batch(ROWS, LENGTH, ids, targets, w);
    }

    static INDArray[] features(Batch b) {
        double[][] x = new double[ROWS][LENGTH], y = new double[ROWS][2 * LENGTH];
        for (int r = 0; r < ROWS; r++) {
            for (int t = 0; t < LENGTH; t++) {
                x[r][t] = b.inputs()[r * LENGTH + t];
                y[r][t] = b.targets()[r * LENGTH + t];
                y[r][LENGTH + t] = b.weights()[r * LENGTH + t];
            }
        }
        return new INDArray[] {Nd4j.createFromArray(x), Nd4j.createFromArray(y)};
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void dl4jGradientCheckPasses(boolean causal) {
        ComputationGraph g = graph(causal);
        // Away from the N(0, 0.02) start, where every gradient is tiny and the check would say little.
        SplittableRandom rng = new SplittableRandom(5);
        g.params().assign(Nd4j.createFromArray(rng.doubles(g.numParams(), -0.5, 0.5).toArray()).reshape(g.params().shape()));
        INDArray[] xy = features(batch());
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g).inputs(new INDArray[] {xy[0]})
                .labels(new INDArray[] {xy[1]}).epsilon(1e-6).maxRelError(1e-4).minAbsoluteError(1e-9)), "causal " + causal);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void theScoreIsTheEnginesLossAtTheSameInitialParameters(boolean causal) {
        ComputationGraph g = graph(causal);
        SameDiffEngine e = new SameDiffEngine(SHAPE, ROWS, LENGTH, causal, AdamW.papers(), 3, DataType.DOUBLE);
        Batch b = batch();
        INDArray[] xy = features(b);
        g.setInputs(xy[0]);
        g.setLabels(xy[1]);
        g.computeGradientAndScore();
        assertEquals(e.lossSum(b) / (ROWS * LENGTH), g.score(), 1e-12);
    }
}
