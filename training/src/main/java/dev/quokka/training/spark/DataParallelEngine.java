package dev.quokka.training.spark;

import dev.quokka.training.AdamW;
import dev.quokka.training.Batch;
import dev.quokka.training.Engine;
import dev.quokka.training.ModelShape;
import dev.quokka.training.Trainer;
import dev.quokka.training.nd4j.SameDiffEngine;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.CollectionAccumulator;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * One model trained across Spark executors with DL4J's parameter averaging: the {@link TransformerLayer} in a
 * ComputationGraph, {@code SparkComputationGraph} and {@code ParameterAveragingTrainingMaster}.
 *
 * <p>A step's batch is the single-process run's batch, split by rows: worker w takes rows [w b, (w + 1) b). What
 * happens between averagings depends on the averaging frequency:
 * <ul>
 *   <li><b>1, synchronous</b>: each worker takes one plain SGD step of rate 1, so the average of the workers'
 *       parameters is the parameters minus the mean of their gradients, which is the whole batch's gradient. The driver
 *       recovers it and takes the AdamW step, clipping it by its global norm: the single-process step, up to float
 *       rounding (the gradient travels as p - g).
 *   <li><b>k &gt; 1, local steps</b>: each worker takes k AdamW steps on its own rows, then parameters and Adam moments
 *       are averaged. This averages k times less often, but it is a different optimiser: each worker clips its own
 *       gradient, and Adam's second moment sees the noisier gradients of a share of the batch, so steps are smaller.
 * </ul>
 *
 * <p>The driver keeps a {@link SameDiffEngine} with the same parameters, copied over after each round when needed:
 * it evaluates, and it reads and writes checkpoints in the single-process format, so a run can be resumed either way.
 */
public final class DataParallelEngine implements Engine {
    private static final String LAYER = "model";

    /**
     * @param workers            executors (Spark tasks) that train at once
     * @param averagingFrequency local steps per worker between averagings
     * @param prefetch           minibatches each worker prepares ahead (DL4J's asynchronous iterator); 0 for none
     * @param threadsPerWorker   ND4J threads per worker; 0 leaves ND4J's default
     */
    public record Options(int workers, int averagingFrequency, int prefetch, int threadsPerWorker) implements Serializable {
        public Options {
            if (workers < 1) throw new IllegalArgumentException("--data-parallel needs at least 1 worker");
            if (averagingFrequency < 1) throw new IllegalArgumentException("--averaging-frequency must be >= 1");
            if (prefetch < 0 || threadsPerWorker < 0) throw new IllegalArgumentException("--prefetch and threads must be >= 0");
        }
    }

    private final SameDiffEngine local;
    private final SparkComputationGraph spark;
    private final JavaSparkContext sc;
    private final Options options;
    private final int rows, rowsPerWorker, length;
    private final RoundSchedule schedule = new RoundSchedule();
    private final RoundStart roundStart;
    private final CollectionAccumulator<double[]> log;
    private final double clip;
    private final boolean synchronous;
    private boolean localStale;

    public DataParallelEngine(JavaSparkContext sc, Options options, ModelShape shape, int rows, int length, boolean causal,
                              AdamW adamW, long seed) {
        if (rows % options.workers() != 0) {
            throw new IllegalArgumentException("a step's " + rows + " sequences do not split evenly over " + options.workers()
                    + " workers; choose --batch-tokens as a multiple of workers * L");
        }
        this.sc = sc;
        this.options = options;
        this.rows = rows;
        this.rowsPerWorker = rows / options.workers();
        this.length = length;
        this.clip = adamW.clipNorm();
        this.local = SameDiffEngine.create(shape, rows, length, causal, adamW, seed);

        this.synchronous = options.averagingFrequency() == 1;
        NeuralNetConfiguration.Builder builder = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).seed(seed);
        if (synchronous) {
            builder.updater(new Sgd(1.0)); // p - g: the driver applies AdamW to the averaged g
        } else {
            builder.updater(Adam.builder().learningRateSchedule(schedule).beta1(adamW.beta1()).beta2(adamW.beta2()).epsilon(adamW.eps()).build())
                    .weightDecay(adamW.weightDecay(), true) // decoupled: p -= lr wd p; DL4J "weights" only, not the gains
                    .gradientNormalization(adamW.clipNorm() > 0 ? GradientNormalization.ClipL2PerLayer : GradientNormalization.None)
                    .gradientNormalizationThreshold(adamW.clipNorm() > 0 ? adamW.clipNorm() : 1); // one layer: the global norm
        }
        ComputationGraphConfiguration conf = builder.graphBuilder()
                .addInputs("ids")
                .setInputTypes(InputType.feedForward(length))
                .addLayer(LAYER, new TransformerLayer(shape, rowsPerWorker, length, causal, seed), "ids")
                .setOutputs(LAYER)
                .build();
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        this.roundStart = new RoundStart(options.threadsPerWorker());
        ParameterAveragingTrainingMaster master = new ParameterAveragingTrainingMaster.Builder(options.workers(), rowsPerWorker)
                .batchSizePerWorker(rowsPerWorker)
                .averagingFrequency(options.averagingFrequency())
                .workerPrefetchNumBatches(options.prefetch())
                .saveUpdater(!synchronous)
                .repartionData(Repartition.Never) // partition w is worker w's rows, as laid out in steps()
                .rddTrainingApproach(RDDTrainingApproach.Direct)
                .storageLevel(null) // a round's data is small; DL4J would persist it and never release it
                .collectTrainingStats(false)
                .trainingHooks(roundStart)
                .build();
        this.spark = new SparkComputationGraph(sc, graph, master);
        this.log = sc.sc().collectionAccumulator("quokka-steps");
        spark.setListeners(new StepLog(log, rowsPerWorker));
        copyToNetwork(); // the same initial values; this also checks that the two layouts agree
    }

    /** The factory the trainer takes. */
    public static Trainer.EngineFactory factory(JavaSparkContext sc, Options options) {
        return (shape, rows, length, causal, adamW, seed) -> new DataParallelEngine(sc, options, shape, rows, length, causal, adamW, seed);
    }

    @Override
    public int stepsPerRound() {
        return options.averagingFrequency();
    }

    @Override
    public Step step(Batch batch, double lr) {
        return steps(List.of(batch), new double[] {lr}).get(0);
    }

    @Override
    public List<Step> steps(List<Batch> batches, double[] lrs) {
        int k = batches.size(), workers = options.workers();
        if (k == 0 || k > options.averagingFrequency()) throw new IllegalArgumentException("a round takes 1 to " + options.averagingFrequency() + " steps, not " + k);
        long first = local.updates();
        // Worker-major: parallelize() slices the list into contiguous partitions, so partition w gets worker w's k minibatches.
        List<DataSet> data = new ArrayList<>(k * workers);
        for (int w = 0; w < workers; w++) for (Batch b : batches) data.add(rowsOf(b, w));
        schedule.set(first, lrs);
        roundStart.set(first);
        log.reset();
        spark.fit(sc.parallelize(data, workers));

        double[][] sums = new double[k][2];
        int[] counts = new int[k];
        boolean[] clipped = new boolean[k];
        for (double[] r : log.value()) {
            int i = (int) (r[0] - first);
            if (i < 0 || i >= k) throw new IllegalStateException("a worker reported step " + (long) r[0] + " in the round of steps " + first + ".." + (first + k - 1));
            sums[i][0] += r[2];
            sums[i][1] += r[3];
            counts[i]++;
            clipped[i] |= clip > 0 && r[3] > clip;
        }
        for (int i = 0; i < k; i++) {
            if (counts[i] != workers) throw new IllegalStateException("step " + (first + i) + ": " + counts[i] + " of " + workers + " workers reported");
        }
        if (synchronous) return List.of(driverStep(sums[0][0] / workers, lrs[0]));

        localStale = true;
        local.setUpdates(first + k);
        List<Step> out = new ArrayList<>(k);
        for (int i = 0; i < k; i++) out.add(new Step(sums[i][0] / workers, sums[i][1] / workers, clipped[i]));
        return out;
    }

    /** The synchronous round's AdamW step: the batch gradient is what the averaged SGD step took off the parameters. */
    private Step driverStep(double loss, double lr) {
        Map<String, INDArray> gradients = new LinkedHashMap<>();
        eachParam((name, t, net) -> gradients.put(name, t.value().sub(net)));
        Step step = local.update(loss, gradients, lr);
        eachParam((name, t, net) -> net.assign(t.value()));
        return step;
    }

    /** Worker w's rows of a batch: features are the input ids, labels the targets then the weights. */
    private DataSet rowsOf(Batch b, int w) {
        if (b.rows() != rows || b.length() != length) {
            throw new IllegalArgumentException("data-parallel training takes full batches [" + rows + ", " + length + "], not ["
                    + b.rows() + ", " + b.length() + "] (variable-length batches are not supported)");
        }
        float[][] features = new float[rowsPerWorker][length], labels = new float[rowsPerWorker][2 * length];
        for (int r = 0; r < rowsPerWorker; r++) {
            int base = (w * rowsPerWorker + r) * length;
            for (int t = 0; t < length; t++) {
                features[r][t] = b.inputs()[base + t];
                labels[r][t] = b.targets()[base + t];
                labels[r][length + t] = b.weights()[base + t];
            }
        }
        return new DataSet(Nd4j.createFromArray(features), Nd4j.createFromArray(labels));
    }

    /** Brings the driver's engine up to the network's averaged parameters and Adam moments. */
    private SameDiffEngine current() {
        if (localStale) {
            eachTensor((t, net, m, v) -> {
                t.value().assign(net);
                t.m().assign(m);
                t.v().assign(v);
            });
            localStale = false;
        }
        return local;
    }

    private void copyToNetwork() {
        if (synchronous) {
            eachParam((name, t, net) -> net.assign(t.value())); // SGD keeps no state; Adam's is the driver's
            return;
        }
        eachTensor((t, net, m, v) -> {
            net.assign(t.value());
            m.assign(t.m());
            v.assign(t.v());
        });
    }

    private interface ParamPair {
        void apply(String name, SameDiffEngine.Tensors local, INDArray param);
    }

    /** Pairs each parameter of the driver's engine with its view in the network. */
    private void eachParam(ParamPair f) {
        var layer = spark.getNetwork().getLayer(LAYER);
        Map<String, SameDiffEngine.Tensors> tensors = local.tensors();
        if (!layer.paramTable().keySet().equals(tensors.keySet())) {
            throw new IllegalStateException("the network's parameters " + layer.paramTable().keySet() + " are not the model's " + tensors.keySet());
        }
        tensors.forEach((name, t) -> {
            INDArray param = layer.getParam(name);
            if (!java.util.Arrays.equals(param.shape(), t.value().shape())) throw new IllegalStateException(name + ": shape mismatch");
            f.apply(name, t, param);
        });
    }

    private interface TensorPair {
        void apply(SameDiffEngine.Tensors local, INDArray param, INDArray m, INDArray v);
    }

    /**
     * Pairs each parameter of the driver's engine with its views in the network: the parameter and its Adam moments.
     * DL4J keeps moments per updater block as [m | v] over the block's flattened parameters.
     */
    private void eachTensor(TensorPair f) {
        ComputationGraph net = spark.getNetwork();
        Map<String, INDArray[]> moments = new LinkedHashMap<>();
        for (UpdaterBlock block : net.getUpdater().getUpdaterBlocks()) {
            INDArray state = block.getUpdaterView().reshape(-1);
            long half = state.length() / 2;
            for (UpdaterBlock.ParamState p : block.getLayersAndVariablesInBlock()) {
                long from = p.getParamOffsetStart() - block.getParamOffsetStart(), to = p.getParamOffsetEnd() - block.getParamOffsetStart();
                INDArray view = p.getParamView();
                char order = view.ordering();
                moments.put(p.getParamName(), new INDArray[] {
                        state.get(NDArrayIndex.interval(from, to)).reshape(order, view.shape()),
                        state.get(NDArrayIndex.interval(half + from, half + to)).reshape(order, view.shape())});
            }
        }
        if (!moments.keySet().equals(local.tensors().keySet())) {
            throw new IllegalStateException("the updater's parameters " + moments.keySet() + " are not the model's " + local.tensors().keySet());
        }
        eachParam((name, t, param) -> f.apply(t, param, moments.get(name)[0], moments.get(name)[1]));
    }

    @Override
    public ModelShape shape() {
        return local.shape();
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
    public long updates() {
        return local.updates();
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("kind", synchronous
                ? "data-parallel, synchronous: the workers' gradients averaged by DL4J parameter averaging, AdamW on the driver"
                : "data-parallel, local steps: DL4J parameter averaging of parameters and Adam moments");
        d.put("workers", options.workers());
        d.put("rows_per_worker", rowsPerWorker);
        d.put("averaging_frequency", options.averagingFrequency());
        d.put("prefetch", options.prefetch());
        d.put("threads_per_worker", options.threadsPerWorker());
        d.put("spark_master", sc.master());
        return d;
    }

    @Override
    public double lossSum(Batch batch) {
        return current().lossSum(batch);
    }

    @Override
    public double[] rowLossSums(Batch batch) {
        return current().rowLossSums(batch);
    }

    @Override
    public float[] logits(int[] inputs) {
        return current().logits(inputs);
    }

    @Override
    public void save(DataOutputStream out) throws IOException {
        current().save(out);
    }

    @Override
    public void load(DataInputStream in) throws IOException {
        local.load(in);
        localStale = false;
        copyToNetwork();
    }
}
