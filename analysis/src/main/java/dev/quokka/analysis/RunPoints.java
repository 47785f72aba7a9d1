package dev.quokka.analysis;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.FlatMapGroupsFunction;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.exp;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.isnan;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max_by;
import static org.apache.spark.sql.functions.regexp_replace;
import static org.apache.spark.sql.functions.struct;

/**
 * Fit points from training runs, read by the run directory's documented format (README: run.json, metrics/eval.csv)
 * and nothing else. Metrics stay on the executors: only the chosen points are returned, as a dataset.
 * <ul>
 *   <li>{@code FINAL}: each run's last evaluation;</li>
 *   <li>{@code EPOCHS}: Quokka's points, the evaluation at every epoch boundary of every run that is not an anneal
 *       branch, in its stable phase: for a warmup-stable-decay run, only where the learning rate is at its peak (the
 *       decay's falling rate lowers the loss by more than many stable epochs, so a mix would bend every curve at its
 *       end); optionally cut at the overfitting peak when a second descent follows it ({@link #keep});</li>
 *   <li>{@code ANNEAL}: the last evaluation of each anneal branch;</li>
 *   <li>{@code TRAIN}: for compute-constrained fits, each run's training loss at its last step, smoothed by a
 *       one-sided Gaussian over the steps before it ({@link #trainingLoss}).</li>
 * </ul>
 */
public final class RunPoints {
    public enum Mode { FINAL, EPOCHS, ANNEAL, TRAIN }

    /** Where N comes from in run.json's model block. */
    public enum NConvention {
        PAPERS("papers_n"), NON_EMBEDDING("papers_n_non_embedding"), TOTAL("parameters");

        final String field;

        NConvention(String field) {
            this.field = field;
        }
    }

    static final StructType EVAL = new StructType().add("step", DataTypes.LongType).add("tokens", DataTypes.LongType)
            .add("epoch", DataTypes.DoubleType).add("lr", DataTypes.DoubleType).add("val_loss", DataTypes.DoubleType)
            .add("boundary", DataTypes.BooleanType).add("val_se", DataTypes.DoubleType).add("val_se_change", DataTypes.DoubleType);
    static final StructType TRAIN = new StructType().add("step", DataTypes.LongType).add("tokens", DataTypes.LongType)
            .add("epoch", DataTypes.DoubleType).add("lr", DataTypes.DoubleType).add("train_loss", DataTypes.DoubleType)
            .add("grad_norm", DataTypes.DoubleType).add("tokens_per_s", DataTypes.DoubleType);
    /** The default width of the training-loss smoothing, as a fraction of a run's steps. */
    public static final double DEFAULT_SMOOTHING = 0.02;
    static final StructType POINT = new StructType().add("run", DataTypes.StringType).add("step", DataTypes.LongType)
            .add("tokens", DataTypes.LongType).add("val_loss", DataTypes.DoubleType);

    private RunPoints() {}

    /** Run directories: each path or glob is a run (it holds run.json) or is searched recursively for runs. */
    public static List<String> find(List<String> patterns, Configuration conf) throws IOException {
        TreeSet<String> runs = new TreeSet<>();
        for (Path f : Inputs.filesUnder(patterns, conf, "run.json"::equals)) runs.add(f.getParent().toString());
        if (runs.isEmpty()) throw new IllegalArgumentException(patterns + ": no run directories (no run.json) found");
        return new ArrayList<>(runs);
    }

    /**
     * Columns run, objective, n (in the chosen convention), u, d, loss, then n_with_embeddings and
     * n_without_embeddings (the papers' conventions, null where a manifest lacks them) and e = d / u; one row per
     * point. TRAIN smooths over the default width.
     */
    public static Dataset<Row> points(SparkSession spark, List<String> runs, Mode mode, NConvention n, int truncatePatience) {
        return points(spark, runs, mode, n, truncatePatience, DEFAULT_SMOOTHING);
    }

    /**
     * @param truncatePatience EPOCHS: cut each run after its overfitting peak when a second descent follows, both
     *                         lasting this many epochs ({@link #keep}); 0 keeps every point
     * @param smoothing        TRAIN: the Gaussian's standard deviation as a fraction of the run's last step (at least one step)
     */
    public static Dataset<Row> points(SparkSession spark, List<String> runs, Mode mode, NConvention n, int truncatePatience,
                                      double smoothing) {
        if (truncatePatience < 0) throw new IllegalArgumentException("the truncation's patience must not be negative, not " + truncatePatience);
        if (!(smoothing > 0)) throw new IllegalArgumentException("the smoothing width must be positive, not " + smoothing);
        Dataset<Row> manifests = spark.read().option("multiLine", "true")
                .json(runs.stream().map(r -> r + "/run.json").toArray(String[]::new))
                .withColumn("run", regexp_replace(input_file_name(), "/run\\.json$", ""));
        boolean anyAnneal = Arrays.asList(manifests.columns()).contains("parent");
        Column isAnneal = anyAnneal ? col("parent").isNotNull() : lit(false);
        manifests = manifests.select(col("run"), col("config.objective").as("objective"), col("model." + n.field).as("n"),
                field(manifests, "model", NConvention.PAPERS.field, "double").as("n_with_embeddings"),
                field(manifests, "model", NConvention.NON_EMBEDDING.field, "double").as("n_without_embeddings"),
                col("study.unique_tokens").as("u"), isAnneal.as("anneal"), field(manifests, "config", "lr", "double").as("peak_lr"),
                field(manifests, "config", "schedule", "string").as("schedule"));

        Dataset<Row> chosen = switch (mode) {
            case FINAL, ANNEAL -> evaluations(spark, runs).groupBy("run").agg(max_by(struct(col("step"), col("tokens"), col("val_loss")), col("step")).as("last"))
                    .select(col("run"), col("last.step").as("step"), col("last.tokens").as("tokens"), col("last.val_loss").as("val_loss"));
            case TRAIN -> trainingLoss(spark, runs, smoothing);
            case EPOCHS -> {
                Dataset<Row> stable = evaluations(spark, runs).where(col("boundary")).join(manifests.select("run", "peak_lr", "schedule"), "run")
                        .where(col("schedule").isNull().or(col("schedule").notEqual("wsd")).or(col("peak_lr").isNull())
                                .or(col("lr").geq(col("peak_lr").multiply(1 - 1e-6))))
                        .select("run", "step", "tokens", "val_loss");
                yield truncatePatience > 0 ? truncate(stable, truncatePatience) : stable;
            }
        };
        Dataset<Row> joined = chosen.join(manifests, "run");
        joined = switch (mode) {
            case FINAL, TRAIN -> joined;
            case EPOCHS -> joined.where(col("anneal").equalTo(false));
            case ANNEAL -> joined.where(col("anneal"));
        };
        return joined.select(col("run"), col("objective"), col("n"), col("u"), col("tokens").as("d"), col("val_loss").as("loss"),
                col("n_with_embeddings"), col("n_without_embeddings"), col("tokens").divide(col("u")).as("e"));
    }

    /**
     * A field of a struct column of the manifests as {@code type}, or null where no manifest has it (run directories
     * of other tools).
     */
    private static Column field(Dataset<Row> manifests, String struct, String name, String type) {
        try {
            StructType s = (StructType) manifests.schema().apply(struct).dataType();
            if (java.util.Arrays.asList(s.fieldNames()).contains(name)) return col(struct + "." + name).cast(type);
        } catch (IllegalArgumentException | ClassCastException e) {
            // no such struct
        }
        return lit(null).cast(type);
    }

    /** Every evaluation after the start (step 0 is the untrained model) of every run, with its run. */
    static Dataset<Row> evaluations(SparkSession spark, List<String> runs) {
        return spark.read().option("header", "true").schema(EVAL)
                .csv(runs.stream().map(r -> r + "/metrics/eval.csv").toArray(String[]::new))
                .withColumn("run", regexp_replace(input_file_name(), "/metrics/eval\\.csv$", ""))
                .where(col("tokens").gt(0));
    }

    /**
     * Each run's training loss at its last step, as a Gaussian-weighted mean of the losses of the steps before it:
     * weights exp(-((last - step) / sigma)^2 / 2) with sigma = max(1, smoothing * last), over the last 4 sigma.
     * One-sided, since no steps follow the last; on a falling curve it reads a little high. Columns run, step,
     * tokens (at the last step) and val_loss (the smoothed loss, named as the evaluation modes name theirs).
     */
    static Dataset<Row> trainingLoss(SparkSession spark, List<String> runs, double smoothing) {
        Dataset<Row> train = spark.read().option("header", "true").schema(TRAIN)
                .csv(runs.stream().map(r -> r + "/metrics/train.csv").toArray(String[]::new))
                .withColumn("run", regexp_replace(input_file_name(), "/metrics/train\\.csv$", ""))
                .where(col("train_loss").isNotNull().and(not(isnan(col("train_loss")))));
        Dataset<Row> last = train.groupBy("run").agg(max_by(struct(col("step"), col("tokens")), col("step")).as("last"))
                .select(col("run"), col("last.step").as("last_step"), col("last.tokens").as("last_tokens"));
        Column sigma = greatest(lit(1.0), col("last_step").multiply(smoothing));
        Column distance = col("last_step").minus(col("step")).divide(sigma);
        Column weight = exp(distance.multiply(distance).multiply(-0.5));
        return train.join(last, "run").where(distance.leq(4))
                .groupBy("run")
                .agg(first(col("last_step")).as("step"), first(col("last_tokens")).as("tokens"),
                        sum(weight.multiply(col("train_loss"))).divide(sum(weight)).as("val_loss"));
    }

    /**
     * A rise or a fall counts when it is larger than this, relative to the lowest loss before it: the stop rule's
     * margin, which the presets set to 1%.
     */
    static final double TOLERANCE = 0.01;

    /**
     * ... and when it lasts this many epoch boundaries in a row: the stop rule's patience in the presets whose DLM
     * curves turn. A DLM's loss at a held learning rate moves by 1-2% between neighbouring epochs (BENCHMARKS.md,
     * "cpu-turn"), so a rule that took one boundary for a rise cut the DLM's curves at those moves, long before they
     * turned.
     */
    public static final int DEFAULT_PATIENCE = 5;

    /** Each run's boundary points in step order, cut after the overfitting peak when a second descent follows it. */
    static Dataset<Row> truncate(Dataset<Row> boundaries, int patience) {
        return boundaries.groupByKey((MapFunction<Row, String>) r -> r.getString(0), Encoders.STRING())
                .flatMapGroups((FlatMapGroupsFunction<String, Row, Row>) (run, rows) -> {
                    List<Row> all = new ArrayList<>();
                    rows.forEachRemaining(r -> all.add(RowFactory.create(r.getString(0), r.getLong(1), r.getLong(2), r.getDouble(3))));
                    all.sort((a, b) -> Long.compare(a.getLong(1), b.getLong(1)));
                    return all.subList(0, keep(all.stream().mapToDouble(r -> r.getDouble(3)).toArray(), patience)).iterator();
                }, Encoders.row(POINT));
    }

    /**
     * How many of a run's losses (in step order) to keep: all, or up to the overfitting peak when a second descent
     * follows it. The rule reads the curve smoothed by a centred moving mean over {@code patience} boundaries on each
     * side, so that it sees trends, not the 1-2% moves of one boundary; on the smoothed curve both must last:
     * <ul>
     *   <li>overfitting is what the stop rule calls it: {@code patience} boundaries in a row above (1 + TOLERANCE) x
     *       the lowest loss before them;</li>
     *   <li>a second descent is the loss coming back under that same line, to the first minimum's level, for
     *       {@code patience} boundaries in a row. Coming back is what tells a descent from noise on a rising curve: a
     *       fall from a noisy peak alone would cut every overfitting DLM curve at its largest swing.</li>
     * </ul>
     * The cut is after the highest loss between the two.
     */
    static int keep(double[] loss, int patience) {
        if (patience < 1) throw new IllegalArgumentException("the truncation's patience must be at least 1 epoch, not " + patience);
        double[] smooth = movingMean(loss, patience);
        double lowest = Double.POSITIVE_INFINITY;
        int above = 0, rise = -1;
        for (int k = 0; k < smooth.length && rise < 0; k++) {
            if (smooth[k] > lowest * (1 + TOLERANCE)) {
                if (++above == patience) rise = k - patience + 1;
            } else {
                above = 0;
                lowest = Math.min(lowest, smooth[k]);
            }
        }
        if (rise < 0) return loss.length;
        double line = lowest * (1 + TOLERANCE);
        int below = 0;
        for (int k = rise + patience; k < smooth.length; k++) {
            if (smooth[k] > line) {
                below = 0;
            } else if (++below == patience) {
                int peak = rise;
                for (int j = rise; j <= k - patience; j++) if (loss[j] > loss[peak]) peak = j;
                return peak + 1;
            }
        }
        return loss.length;
    }

    /** The mean of each value and up to {@code half} values on either side of it (fewer at the ends). */
    static double[] movingMean(double[] x, int half) {
        double[] prefix = new double[x.length + 1];
        for (int k = 0; k < x.length; k++) prefix[k + 1] = prefix[k] + x[k];
        double[] mean = new double[x.length];
        for (int k = 0; k < x.length; k++) {
            int from = Math.max(0, k - half), to = Math.min(x.length, k + half + 1);
            mean[k] = (prefix[to] - prefix[from]) / (to - from);
        }
        return mean;
    }
}
