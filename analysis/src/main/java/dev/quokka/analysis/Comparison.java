package dev.quokka.analysis;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.max_by;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.regexp_replace;
import static org.apache.spark.sql.functions.stddev_samp;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.math3.distribution.TDistribution;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A study of training choices (Quokka's modeling and optimisation studies): runs that differ in `quokka train`
 * options, compared by the values of those options, the axes. For each objective, N, U and value of the axes, the
 * final and the best validation loss, as the mean over the runs of that cell (seeds) with a 95% Student-t interval
 * when there are several; and for a numeric axis, the best value per objective and cell, and whether AR's best is
 * within one grid step of the DLM's: Quokka's question of whether the learning rate and batch size tuned for AR
 * transfer to DLMs.
 *
 * <p>Read from each run's run.json (its config, model and study) and metrics/eval.csv (docs/formats.md), with Spark;
 * only the per-cell aggregates, and the evaluation curves for the plots, come back to the driver.
 */
public final class Comparison {
    /** The axes, by `quokka train`'s option names, and where run.json holds each one. */
    public static final Map<String, String> AXES = new LinkedHashMap<>();

    static {
        AXES.put("lr", "config.lr");
        AXES.put("min-lr", "config.minLr");
        AXES.put("batch-tokens", "config.batchTokens");
        AXES.put("schedule", "config.schedule");
        AXES.put("warmup", "config.warmup");
        AXES.put("warmup-steps", "config.warmupSteps");
        AXES.put("decay", "config.decayFraction");
        AXES.put("decay-shape", "config.decay");
        AXES.put("weight-decay", "config.adamW.weightDecay");
        AXES.put("clip", "config.adamW.clipNorm");
        AXES.put("kernel", "config.dlm.kernel");
        AXES.put("mask-schedule", "config.dlm.maskSchedule");
        AXES.put("weighting", "config.dlm.weighting");
        AXES.put("t-floor", "config.dlm.tFloor");
        AXES.put("curriculum", "config.dlm.curriculum");
        AXES.put("variable-length", "config.dlm.variableLength");
        AXES.put("epochs", "config.epochs");
        AXES.put("model", "config.model");
    }

    /** One cell: an objective, N, U and the axes' values, over its runs. */
    public record Cell(String objective, double n, double u, List<String> values, int runs, double finalLoss, Interval finalInterval,
                       double bestLoss, Interval bestInterval) {}

    /** A mean's 95% Student-t interval over runs; null with one run. */
    public record Interval(double low, double high) {}

    /**
     * For a numeric axis: the best value of each objective in one (N, U, other axes) group, and how many grid steps
     * apart the two are (the grid: the axis's distinct values in that group, sorted).
     */
    public record Transfer(String axis, double n, double u, List<String> others, String bestDlm, String bestAr, int steps) {
        public boolean transfers() {
            return steps <= 1;
        }
    }

    /** A run's evaluation curve, for the plots. */
    public record Curve(String run, String objective, double n, double u, List<String> values, double[] tokens, double[] loss) {}

    public record Result(List<String> axes, List<Cell> cells, List<Transfer> transfers, List<Curve> curves) {}

    private Comparison() {}

    public static Result compare(SparkSession spark, List<String> runs, List<String> axes) {
        if (axes.isEmpty()) throw new IllegalArgumentException("--by needs at least one axis (" + String.join(", ", AXES.keySet()) + ")");
        for (String a : axes) {
            if (!AXES.containsKey(a)) throw new IllegalArgumentException("--by " + a + " is not an axis; axes: " + String.join(", ", AXES.keySet()));
        }
        Dataset<Row> manifests = spark.read().option("multiLine", "true").json(runs.stream().map(r -> r + "/run.json").toArray(String[]::new))
                .withColumn("run", regexp_replace(input_file_name(), "/run\\.json$", ""));
        List<Column> selected = new ArrayList<>(List.of(col("run"), col("config.objective").as("objective"), col("model.papers_n").cast("double").as("n"),
                col("study.unique_tokens").cast("double").as("u")));
        for (int i = 0; i < axes.size(); i++) {
            String path = AXES.get(axes.get(i));
            if (!has(manifests.schema(), path)) throw new IllegalArgumentException("--by " + axes.get(i) + ": no run's run.json has " + path);
            selected.add(col(path).cast("string").as("axis" + i));
        }
        manifests = manifests.select(selected.toArray(Column[]::new));

        Dataset<Row> evals = RunPoints.evaluations(spark, runs);
        Dataset<Row> perRun = evals.groupBy("run").agg(max_by(col("val_loss"), col("step")).as("final"), min("val_loss").as("best"))
                .join(manifests, "run");
        List<Column> key = new ArrayList<>(List.of(col("objective"), col("n"), col("u")));
        for (int i = 0; i < axes.size(); i++) key.add(col("axis" + i));
        List<Row> rows = perRun.groupBy(key.toArray(Column[]::new))
                .agg(count("run").as("runs"), avg("final").as("final"), stddev_samp("final").as("final_sd"), avg("best").as("best"),
                        stddev_samp("best").as("best_sd"))
                .collectAsList();
        List<Cell> cells = new ArrayList<>();
        for (Row r : rows) {
            List<String> values = new ArrayList<>();
            for (int i = 0; i < axes.size(); i++) values.add(r.isNullAt(r.fieldIndex("axis" + i)) ? "" : r.getString(r.fieldIndex("axis" + i)));
            int k = (int) r.getLong(r.fieldIndex("runs"));
            double fin = r.getDouble(r.fieldIndex("final")), best = r.getDouble(r.fieldIndex("best"));
            cells.add(new Cell(r.getString(r.fieldIndex("objective")), r.getDouble(r.fieldIndex("n")), r.getDouble(r.fieldIndex("u")), List.copyOf(values),
                    k, fin, interval(fin, sd(r, "final_sd"), k), best, interval(best, sd(r, "best_sd"), k)));
        }
        cells.sort(Comparator.comparing(Cell::objective).thenComparingDouble(Cell::n).thenComparingDouble(Cell::u)
                .thenComparing(c -> c.values().toString()));

        List<Curve> curves = new ArrayList<>();
        Map<String, List<Row>> byRun = new TreeMap<>();
        for (Row r : evals.join(manifests, "run").orderBy("run", "step").collectAsList()) byRun.computeIfAbsent(r.getString(r.fieldIndex("run")), x -> new ArrayList<>()).add(r);
        byRun.forEach((run, rs) -> {
            Row first = rs.get(0);
            List<String> values = new ArrayList<>();
            for (int i = 0; i < axes.size(); i++) values.add(first.isNullAt(first.fieldIndex("axis" + i)) ? "" : first.getString(first.fieldIndex("axis" + i)));
            curves.add(new Curve(run, first.getString(first.fieldIndex("objective")), first.getDouble(first.fieldIndex("n")), first.getDouble(first.fieldIndex("u")),
                    values, rs.stream().mapToDouble(x -> x.getLong(x.fieldIndex("tokens"))).toArray(),
                    rs.stream().mapToDouble(x -> x.getDouble(x.fieldIndex("val_loss"))).toArray()));
        });
        return new Result(List.copyOf(axes), cells, transfers(axes, cells), curves);
    }

    /**
     * For each numeric axis and each (N, U, values of the other axes) that both objectives ran: each one's best value
     * by the mean final loss, and their distance in steps of the group's sorted values.
     */
    static List<Transfer> transfers(List<String> axes, List<Cell> cells) {
        List<Transfer> out = new ArrayList<>();
        for (int a = 0; a < axes.size(); a++) {
            final int axis = a;
            if (!cells.stream().allMatch(c -> numeric(c.values().get(axis)))) continue;
            Map<String, List<Cell>> groups = new TreeMap<>();
            for (Cell c : cells) {
                List<String> others = new ArrayList<>(c.values());
                others.remove(axis);
                groups.computeIfAbsent(c.n() + "|" + c.u() + "|" + others, k -> new ArrayList<>()).add(c);
            }
            for (List<Cell> g : groups.values()) {
                List<Double> grid = g.stream().map(c -> Double.parseDouble(c.values().get(axis))).distinct().sorted().toList();
                Cell dlm = best(g, "dlm"), ar = best(g, "ar");
                if (dlm == null || ar == null || grid.size() < 2) continue;
                int steps = Math.abs(grid.indexOf(Double.parseDouble(dlm.values().get(axis))) - grid.indexOf(Double.parseDouble(ar.values().get(axis))));
                List<String> others = new ArrayList<>();
                for (int i = 0; i < axes.size(); i++) if (i != axis) others.add(axes.get(i) + "=" + dlm.values().get(i));
                out.add(new Transfer(axes.get(axis), dlm.n(), dlm.u(), others, dlm.values().get(axis), ar.values().get(axis), steps));
            }
        }
        return out;
    }

    /** Whether a dotted path names a field of nested structs. */
    private static boolean has(org.apache.spark.sql.types.StructType schema, String path) {
        org.apache.spark.sql.types.DataType t = schema;
        for (String part : path.split("\\.")) {
            if (!(t instanceof org.apache.spark.sql.types.StructType s) || !java.util.Arrays.asList(s.fieldNames()).contains(part)) return false;
            t = s.apply(part).dataType();
        }
        return true;
    }

    private static Cell best(List<Cell> group, String objective) {
        return group.stream().filter(c -> c.objective().equals(objective)).min(Comparator.comparingDouble(Cell::finalLoss)).orElse(null);
    }

    /** Whether an axis value reads as a number. */
    public static boolean numeric(String v) {
        try {
            Double.parseDouble(v);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static double sd(Row r, String field) {
        return r.isNullAt(r.fieldIndex(field)) ? Double.NaN : r.getDouble(r.fieldIndex(field));
    }

    /** mean +- t(0.975, k - 1) sd / sqrt(k); null for a single run. */
    static Interval interval(double mean, double sd, int k) {
        if (k < 2 || Double.isNaN(sd)) return null;
        double half = new TDistribution(k - 1).inverseCumulativeProbability(0.975) * sd / Math.sqrt(k);
        return new Interval(mean - half, mean + half);
    }

    /** The cells as a table: one row per cell, the axes as columns. */
    public static Table cellTable(Result r) {
        List<String> header = new ArrayList<>(List.of("objective", "N", "U"));
        header.addAll(r.axes());
        header.addAll(List.of("runs", "final loss", "95% interval", "best loss", "95% interval"));
        Table t = new Table("Validation loss by " + String.join(" and ", r.axes()) + " (mean over each cell's runs)", header);
        for (Cell c : r.cells()) {
            List<String> row = new ArrayList<>(List.of(c.objective(), Quantities.format(c.n()), Quantities.format(c.u())));
            row.addAll(c.values());
            row.addAll(List.of(Integer.toString(c.runs()), String.format("%.4f", c.finalLoss()), interval(c.finalInterval()),
                    String.format("%.4f", c.bestLoss()), interval(c.bestInterval())));
            t.row(row);
        }
        return t;
    }

    /** The transfer table, or null when no axis is numeric or no group has both objectives. */
    public static Table transferTable(Result r) {
        if (r.transfers().isEmpty()) return null;
        List<String> header = List.of("axis", "N", "U", "other axes", "best for the DLM", "best for AR", "grid steps apart", "transfers");
        Table t = new Table("Does AR's best value transfer to the DLM? (within one grid step)", header);
        for (Transfer x : r.transfers()) {
            t.row(List.of(x.axis(), Quantities.format(x.n()), Quantities.format(x.u()), x.others().isEmpty() ? "-" : String.join(" ", x.others()), x.bestDlm(),
                    x.bestAr(), Integer.toString(x.steps()), x.transfers() ? "yes" : "no"));
        }
        return t;
    }

    private static String interval(Interval i) {
        return i == null ? "-" : String.format("%.4f .. %.4f", i.low(), i.high());
    }
}
