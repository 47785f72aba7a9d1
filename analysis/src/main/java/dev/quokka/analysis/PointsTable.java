package dev.quokka.analysis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.isnan;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.monotonically_increasing_id;
import static org.apache.spark.sql.functions.when;

/**
 * Fit points from a plain table (CSV with a header, or Parquet): columns N, U, D and loss (any case), optionally run
 * and objective, so that published results can be fitted beside ours. Rows with a missing, non-numeric, NaN or
 * non-positive value are excluded and counted by reason; only the valid points (a few numbers each) reach the driver.
 */
public final class PointsTable {
    static final List<String> REQUIRED = List.of("n", "u", "d", "loss");

    /** The valid points, and the excluded rows counted by reason. */
    public record Result(List<FitPoint> points, Map<String, Long> excluded) {}

    private PointsTable() {}

    public static Result read(SparkSession spark, String path) {
        return read(spark, path, Map.of(), null);
    }

    /**
     * @param names the table's column for a role (run, objective, n, u, d or loss) where it is not named for it, such
     *              as {@code loss=eval_loss}; any case
     * @param where a Spark SQL condition over run, objective, n, u, d and loss that points must meet, or null
     */
    public static Result read(SparkSession spark, String path, Map<String, String> names, String where) {
        return read(spark, path, names, where, false);
    }

    /**
     * @param singlePass the points are of runs that saw each token once (compute-constrained studies): a table
     *                   without a U column is read with U = D
     */
    public static Result read(SparkSession spark, String path, Map<String, String> names, String where, boolean singlePass) {
        Dataset<Row> raw = path.endsWith(".csv") || path.endsWith(".csv.gz")
                ? spark.read().option("header", "true").option("mode", "PERMISSIVE").csv(path)
                : spark.read().parquet(path);
        Map<String, String> byLower = new LinkedHashMap<>();
        for (String c : raw.columns()) byLower.put(c.toLowerCase(Locale.ROOT), c);
        Map<String, String> column = new LinkedHashMap<>(); // role -> the table's column
        for (String role : List.of("run", "objective", "n", "u", "d", "loss")) {
            if (byLower.containsKey(role)) column.put(role, byLower.get(role));
        }
        names.forEach((role, name) -> {
            String r = role.toLowerCase(Locale.ROOT);
            if (!List.of("run", "objective", "n", "u", "d", "loss").contains(r)) {
                throw new IllegalArgumentException("no role '" + role + "' for a column (roles: run, objective, n, u, d, loss)");
            }
            String c = byLower.get(name.toLowerCase(Locale.ROOT));
            if (c == null) throw new IllegalArgumentException(path + ": no column '" + name + "' for " + r + " (has " + Arrays.toString(raw.columns()) + ")");
            column.put(r, c);
        });
        boolean uIsD = singlePass && !column.containsKey("u");
        if (uIsD) column.put("u", column.get("d"));
        List<String> missing = REQUIRED.stream().filter(c -> !column.containsKey(c) || column.get(c) == null).toList();
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(path + ": no column " + String.join(", ", missing) + " (has " + Arrays.toString(raw.columns())
                    + "; needs N, U, D and loss, optionally run and objective, or --column ROLE=NAME)");
        }
        Column rowId = concat(lit("row-"), monotonically_increasing_id().cast("string")); // a point of its own
        Column run = column.containsKey("run") ? coalesce(col(column.get("run")).cast("string"), rowId) : rowId;
        Column objective = column.containsKey("objective") ? coalesce(col(column.get("objective")).cast("string"), lit("")) : lit("");
        return check(raw.select(run.as("run"), objective.as("objective"), col(column.get("n")).as("n"), col(column.get("u")).as("u"),
                col(column.get("d")).as("d"), col(column.get("loss")).as("loss")), where);
    }

    /**
     * Points from a dataset with columns run, objective, n, u, d and loss: rows failing a check are counted by reason,
     * and only the valid points are collected. Valid points that do not meet {@code where} (a Spark SQL condition
     * over those columns; null for none) are counted as excluded by it.
     */
    public static Result check(Dataset<Row> rows, String where) {
        Column reason = null; // one CASE WHEN, the first failing check naming the row's reason
        for (String c : REQUIRED) {
            Column v = col(c).cast("double");
            reason = (reason == null ? when(v.isNull(), lit(c + " missing or not a number")) : reason.when(v.isNull(), lit(c + " missing or not a number")))
                    .when(isnan(v), lit(c + " is NaN"))
                    .when(v.leq(0), lit(c + " not positive"))
                    .when(v.equalTo(Double.POSITIVE_INFINITY), lit(c + " infinite"));
        }
        Dataset<Row> checked = rows.select(reason.as("reason"), col("run").cast("string").as("run"), col("objective").cast("string").as("objective"),
                col("n").cast("double").as("n"), col("u").cast("double").as("u"), col("d").cast("double").as("d"), col("loss").cast("double").as("loss"));
        if (where != null && !where.isBlank()) {
            try { // Spark parses and resolves the condition here, throwing its (unchecked in Scala) exceptions
                checked = checked.withColumn("reason", when(col("reason").isNull().and(not(coalesce(expr(where), lit(false)))),
                        lit("not where " + where)).otherwise(col("reason")));
            } catch (Exception e) {
                throw new IllegalArgumentException("--where '" + where + "' is not a Spark SQL condition over run, objective, n, u, d "
                        + "and loss: " + e.getMessage().lines().findFirst().orElse(""));
            }
        }
        Map<String, Long> excluded = new LinkedHashMap<>();
        for (Row r : checked.where(col("reason").isNotNull()).groupBy("reason").count().orderBy("reason").collectAsList()) {
            excluded.put(r.getString(0), r.getLong(1));
        }
        List<FitPoint> points = new ArrayList<>();
        // In a fixed order: rows leave a shuffle in whatever order they arrived, and the fit must not depend on it.
        for (Row r : checked.where(col("reason").isNull()).drop("reason").orderBy("run", "d", "n", "u", "loss", "objective").collectAsList()) {
            points.add(new FitPoint(r.getString(0), r.getString(1), r.getDouble(2), r.getDouble(3), r.getDouble(4), r.getDouble(5)));
        }
        return new Result(points, excluded);
    }
}
