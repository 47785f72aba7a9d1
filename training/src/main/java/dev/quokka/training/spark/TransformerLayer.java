package dev.quokka.training.spark;

import dev.quokka.training.ModelShape;
import dev.quokka.training.nd4j.Muted;
import dev.quokka.training.nd4j.Transformer;
import dev.quokka.training.nd4j.WeightedCrossEntropy;
import java.util.Map;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffOutputLayer;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The whole {@link Transformer} and its loss as one DL4J output layer, so that DL4J's Spark training can run it. A
 * DataSet row is one sequence: features are its L input ids, labels its L targets then its L loss weights (floats;
 * ids stay exact below 2^24). The layer's score is rows * the batch's mean loss: DL4J divides gradients by the
 * minibatch size, which brings them back to the gradient of the mean, as in {@link dev.quokka.training.nd4j.SameDiffEngine}.
 *
 * <p>Matrices are DL4J "weight" parameters and norm gains "bias" parameters, so that weight decay reaches matrices
 * only. The minibatch size is fixed: the graph's reshapes, rotary tables and attention mask are built for it.
 */
public final class TransformerLayer extends SameDiffOutputLayer {
    private int vocab, d, layers, heads, mlpHidden, rows, length;
    private boolean tied, causal;
    private long seed;

    /** For DL4J's configuration cloning and JSON. */
    public TransformerLayer() {}

    public TransformerLayer(ModelShape s, int rows, int length, boolean causal, long seed) {
        this.vocab = s.vocab();
        this.d = s.d();
        this.layers = s.layers();
        this.heads = s.heads();
        this.mlpHidden = s.mlpHidden();
        this.tied = s.tied();
        this.rows = rows;
        this.length = length;
        this.causal = causal;
        this.seed = seed;
        setLayerName("model");
    }

    public ModelShape shape() {
        return new ModelShape(vocab, d, layers, heads, mlpHidden, tied);
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        Transformer.parameterShapes(shape()).forEach((name, shape) -> {
            if (shape.length == 2) params.addWeightParam(name, shape);
            else params.addBiasParam(name, shape);
        });
    }

    /** The same initial values as the single-process engine's for the same seed. */
    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        Transformer.initialParameters(shape(), seed, params.values().iterator().next().dataType())
                .forEach((name, value) -> params.get(name).assign(value));
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, SDVariable labels, Map<String, SDVariable> params) {
        Muted.install(); // on each worker: DL4J builds this layer's gradient graph there, every round
        int n = rows * length;
        DataType dtype = input.dataType();
        SDVariable ids = input.reshape(n).castTo(DataType.INT32);
        SDVariable targets = labels.get(SDIndex.all(), SDIndex.interval(0, length)).reshape(n).castTo(DataType.INT32);
        SDVariable weights = labels.get(SDIndex.all(), SDIndex.interval(length, 2 * length)).reshape(n);
        int[] starts = new int[n];
        for (int i = 0; i < n; i++) starts[i] = Math.multiplyExact(i, vocab);
        SDVariable rowStarts = sd.constant("rowStarts", Nd4j.createFromArray(starts)); // the target of row i is at i V + y_i
        SDVariable bias = sd.constant("attentionBias", Transformer.attentionBias(dtype, rows, heads, length, causal, length));
        SDVariable logits = Transformer.logits(sd, shape(), rows, length, dtype, params, ids, bias);
        SDVariable mean = WeightedCrossEntropy.loss(sd, "meanLoss", logits, rowStarts.add(targets), weights);
        // DL4J asks every layer for the gradient of its input; the ids have none, so give it an explicit zero.
        return mean.mul(rows).add(input.sum().mul(0)).rename("score");
    }

    @Override
    public String activationsVertexName() {
        return "input";
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return InputType.feedForward(1);
    }
}
