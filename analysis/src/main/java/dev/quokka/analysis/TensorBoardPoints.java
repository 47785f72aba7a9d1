package dev.quokka.analysis;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max_by;
import static org.apache.spark.sql.functions.min_by;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.struct;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fit points from TensorBoard event files ({@code events.out.tfevents.*}), such as the logs Quokka released for its
 * runs. A run is a directory holding event files. The files are parsed on the executors ({@link TensorBoardScalars})
 * and only the chosen points come back. What the logs do not hold comes from a {@link Mapping}: the tag of the loss,
 * the tokens a step stands for (or the tag that counts them), and N, U and the objective from the run's name.
 */
public final class TensorBoardPoints {
    private static final Logger LOG = LoggerFactory.getLogger(TensorBoardPoints.class);
    static final String PREFIX = "events.out.tfevents";

    /** Which points a run gives. */
    public enum Mode {
        /** the last logged loss */
        FINAL,
        /** the loss logged nearest each whole epoch (within {@link #EPOCH_TOLERANCE} of an epoch) */
        EPOCHS,
        /** every logged loss */
        ALL
    }

    /** How far from a whole epoch, in epochs, a logged loss may be and still stand for it. */
    public static final double EPOCH_TOLERANCE = 0.05;

    /**
     * @param lossTag       the scalar that is the loss, such as {@code val/loss}
     * @param tokensTag     the scalar counting tokens seen, or null to use {@code tokensPerStep}
     * @param tokensPerStep tokens a step stands for, when no tag counts them
     * @param runName       a pattern matched against the whole of a run directory's name, with named groups {@code n}
     *                      and {@code u}, and optionally {@code objective}; values as {@link Quantities} reads them (3e8, 110M, 1.5B)
     * @param objective     the objective of runs whose name does not say
     */
    public record Mapping(String lossTag, String tokensTag, double tokensPerStep, Pattern runName, String objective) {
        /** {@code --tb-run-name quokka}: the names of Quokka's released runs ({@link QuokkaRunNames}). */
        public static final Pattern QUOKKA = Pattern.compile("quokka");

        public Mapping {
            if (lossTag == null || lossTag.isBlank()) throw new IllegalArgumentException("no loss tag");
            if (tokensTag == null && !(tokensPerStep > 0)) {
                throw new IllegalArgumentException("give the tag that counts tokens, or the tokens per step");
            }
            if (!quokka(runName) && (!runName.pattern().contains("(?<n>") || !runName.pattern().contains("(?<u>"))) {
                throw new IllegalArgumentException("the run-name pattern needs named groups n and u (or is quokka, for Quokka's released names): " + runName);
            }
        }

        private static boolean quokka(Pattern p) {
            return p.pattern().equals(QUOKKA.pattern());
        }

        boolean quokkaNames() {
            return quokka(runName);
        }
    }

    static final StructType SCALAR = new StructType().add("run", DataTypes.StringType).add("step", DataTypes.LongType)
            .add("wall_time", DataTypes.DoubleType).add("tag", DataTypes.StringType).add("value", DataTypes.DoubleType);
    static final StructType RUN = new StructType().add("run", DataTypes.StringType).add("objective", DataTypes.StringType)
            .add("n", DataTypes.DoubleType).add("u", DataTypes.DoubleType);

    private TensorBoardPoints() {}

    /** Event files under the given paths or globs, by run directory. */
    public static Map<String, List<String>> find(List<String> patterns, Configuration conf) throws IOException {
        Map<String, List<String>> runs = new TreeMap<>();
        for (Path f : Inputs.filesUnder(patterns, conf, name -> name.startsWith(PREFIX))) {
            runs.computeIfAbsent(f.getParent().toString(), k -> new ArrayList<>()).add(f.toString());
        }
        if (runs.isEmpty()) throw new IllegalArgumentException(patterns + ": no TensorBoard event files (" + PREFIX + ".*) found");
        return runs;
    }

    /** Columns run, objective, n (as the run's name gives it), u, d, loss and e = d / u, one row per point. */
    public static Dataset<Row> points(SparkSession spark, Map<String, List<String>> runs, Mapping mapping, Mode mode) {
        List<Row> named = new ArrayList<>();
        for (String run : runs.keySet()) {
            Row r = nameRow(run, mapping);
            if (r != null) named.add(r);
        }
        List<String> unnamed = unnamed(runs, mapping);
        if (named.isEmpty()) {
            throw new IllegalArgumentException("no run's name says N and U: '" + runName(unnamed.get(0)) + "' (and " + (unnamed.size() - 1)
                    + " more) does not match " + (mapping.quokkaNames() ? "Quokka's released run names" : mapping.runName().pattern()));
        }
        if (!unnamed.isEmpty()) LOG.warn("{} runs left out, their names not saying N and U: {}", unnamed.size(), unnamed);
        Dataset<Row> byRun = spark.createDataFrame(named, RUN);

        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<String[]> files = new ArrayList<>();
        runs.forEach((run, fs) -> fs.forEach(f -> files.add(new String[] {run, f})));
        Set<String> tags = mapping.tokensTag() == null ? Set.of(mapping.lossTag()) : Set.of(mapping.lossTag(), mapping.tokensTag());
        SerializableConf conf = new SerializableConf(spark.sparkContext().hadoopConfiguration());
        LongAccumulator truncated = spark.sparkContext().longAccumulator("event files ending inside a record");
        JavaRDD<Row> rows = sc.parallelize(files, Math.max(1, Math.min(files.size(), 10_000))).flatMap(rf -> {
            List<Row> out = new ArrayList<>();
            Path path = new Path(rf[1]);
            try (InputStream in = path.getFileSystem(conf.get()).open(path)) {
                TensorBoardScalars.Summary s = TensorBoardScalars.read(in, rf[1], tags::contains,
                        v -> out.add(RowFactory.create(rf[0], v.step(), v.wallTime(), v.tag(), v.value())));
                if (s.truncatedTail()) truncated.add(1);
            }
            return out.iterator();
        });
        // A restarted run logs some steps twice: the later write wins.
        Dataset<Row> scalars = spark.createDataFrame(rows, SCALAR).groupBy("run", "tag", "step")
                .agg(max_by(col("value"), col("wall_time")).as("value"));
        Dataset<Row> loss = scalars.where(col("tag").equalTo(mapping.lossTag())).select(col("run"), col("step"), col("value").as("loss"));
        Dataset<Row> logged;
        if (mapping.tokensTag() == null) {
            logged = loss.withColumn("d", col("step").cast("double").multiply(mapping.tokensPerStep()));
        } else {
            Dataset<Row> tokens = scalars.where(col("tag").equalTo(mapping.tokensTag()))
                    .select(col("run").as("t_run"), col("step").as("t_step"), col("value").as("d"));
            logged = loss.join(tokens, col("run").equalTo(col("t_run")).and(col("step").equalTo(col("t_step")))).drop("t_run", "t_step");
        }
        Dataset<Row> withRun = logged.join(byRun, "run").where(col("d").gt(0));
        Dataset<Row> chosen = switch (mode) {
            case ALL -> withRun;
            case FINAL -> withRun.groupBy("run").agg(max_by(struct(col("objective"), col("n"), col("u"), col("d"), col("loss")), col("step")).as("p"))
                    .select(col("run"), col("p.objective"), col("p.n"), col("p.u"), col("p.d"), col("p.loss"));
            case EPOCHS -> {
                Dataset<Row> e = withRun.withColumn("epochs", col("d").divide(col("u")))
                        .withColumn("epoch", round(col("epochs")))
                        .where(col("epoch").geq(1).and(abs(col("epochs").minus(col("epoch"))).leq(EPOCH_TOLERANCE)));
                yield e.groupBy("run", "epoch")
                        .agg(min_by(struct(col("objective"), col("n"), col("u"), col("d"), col("loss")), abs(col("epochs").minus(col("epoch")))).as("p"))
                        .select(col("run"), col("p.objective"), col("p.n"), col("p.u"), col("p.d"), col("p.loss"));
            }
        };
        Dataset<Row> result = chosen.select(col("run"), col("objective"), col("n"), col("u"), col("d"), col("loss"),
                col("d").divide(col("u")).as("e")).cache();
        result.count(); // runs the job now, so the accumulator is filled
        if (truncated.value() > 0) {
            LOG.warn("{} event files end inside a record (a run killed while writing); their complete records were read", truncated.value());
        }
        return result;
    }

    /** The runs whose names the mapping cannot read: left out of the points, and counted by the caller. */
    public static List<String> unnamed(Map<String, List<String>> runs, Mapping mapping) {
        return runs.keySet().stream().filter(r -> nameRow(r, mapping) == null).toList();
    }

    /**
     * A run's name: its directory's, or its parent's when the event files sit in a {@code tensorboard} directory of
     * the run (as in Quokka's released logs).
     */
    static String runName(String run) {
        Path p = new Path(run);
        return p.getName().equals("tensorboard") && p.getParent() != null ? p.getParent().getName() : p.getName();
    }

    /** A run's objective, N and U, from its name; null when the name does not say. */
    static Row nameRow(String run, Mapping mapping) {
        String name = runName(run);
        if (mapping.quokkaNames()) {
            return QuokkaRunNames.parse(name).map(q -> RowFactory.create(run, q.objective() != null ? q.objective() : mapping.objective(), q.n(), q.u()))
                    .orElse(null);
        }
        Matcher m = mapping.runName().matcher(name);
        if (!m.matches()) return null;
        String objective = mapping.runName().pattern().contains("(?<objective>") && m.group("objective") != null
                ? m.group("objective") : mapping.objective();
        return RowFactory.create(run, objective, quantity(m.group("n"), run), quantity(m.group("u"), run));
    }

    private static double quantity(String text, String run) {
        try {
            return Quantities.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(run + ": " + e.getMessage());
        }
    }

    /** Hadoop's Configuration for the executors. */
    private static final class SerializableConf implements java.io.Serializable {
        private transient Configuration conf;

        SerializableConf(Configuration conf) {
            this.conf = conf;
        }

        Configuration get() {
            return conf;
        }

        private void writeObject(java.io.ObjectOutputStream out) throws IOException {
            out.defaultWriteObject();
            conf.write(out);
        }

        private void readObject(java.io.ObjectInputStream in) throws IOException, ClassNotFoundException {
            in.defaultReadObject();
            conf = new Configuration(false);
            conf.readFields(in);
        }
    }
}
