package dev.quokka.jobs;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.quokka.analysis.PointsTable;
import dev.quokka.analysis.RunPoints;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "analyze", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Turn training runs into fit points with Spark and fit a scaling law to them. Runs are found under "
                + "the given directories or globs (any directory holding run.json) and read by their documented format; "
                + "metrics never reach the driver, only the chosen points do.",
                "Points (--mode): final (each run's last evaluation), epochs (Quokka: every epoch boundary of every run "
                + "that is not an anneal branch; --truncate cuts a run at its overfitting peak when a second descent follows), "
                + "anneal (the last evaluation of each anneal branch), or train (for compute-constrained fits: each run's "
                + "training loss at its last step, smoothed by a one-sided Gaussian over the steps before it, --smooth wide).",
                "Writes <output>/points (Parquet: run, objective, n, u, d, loss), fit.json, fit.md, and report.html with its PNG plots."})
final class AnalyzeCommand implements Callable<Integer> {
    @Option(names = "--runs", required = true, split = ",", description = "Run directories or parents of them, paths or globs") List<String> runs;
    @Option(names = "--mode", defaultValue = "final", description = "final, epochs, anneal or train (default: ${DEFAULT-VALUE})") String mode;
    @Option(names = "--smooth", defaultValue = "" + RunPoints.DEFAULT_SMOOTHING,
            description = "train: the Gaussian's standard deviation as a fraction of a run's steps, at least one step (default: ${DEFAULT-VALUE})") double smooth;
    @Option(names = "--n", defaultValue = "papers", description = "N as papers (4Ld^2 + 3Ldh_f + 6Ld + Vd), non_embedding or total (default: ${DEFAULT-VALUE})") String n;
    @Option(names = "--truncate", description = "epochs: drop a run's points after its overfitting peak when a second descent follows (changes under 1%% are noise)") boolean truncate;
    @Option(names = "--output", required = true, description = "The analysis directory") String output;
    @Mixin FitOptions fit;

    @Override
    public Integer call() throws Exception {
        fit.validate();
        RunPoints.Mode m = RunPoints.Mode.valueOf(mode.toUpperCase());
        RunPoints.NConvention convention = RunPoints.NConvention.valueOf(n.toUpperCase());
        List<String> dirs = RunPoints.find(runs, new Configuration());
        SparkSession spark = SparkSessions.get("quokka analyze");
        Dataset<Row> points = RunPoints.points(spark, dirs, m, convention, truncate, smooth).cache();
        PointsTable.Result table = PointsTable.check(points);
        ArrayNode inputs = JsonNodeFactory.instance.arrayNode();
        String metrics = m == RunPoints.Mode.TRAIN ? "/metrics/train.csv" : "/metrics/eval.csv";
        for (String d : dirs) inputs.addAll(FitOptions.checksums(d + "/run.json")).addAll(FitOptions.checksums(d + metrics));
        String source = dirs.size() + " runs under " + String.join(", ", runs) + " (" + m.name().toLowerCase() + " points"
                + (m == RunPoints.Mode.TRAIN ? ", smoothed over " + smooth + " of each run's steps)" : ")");
        fit.fitAndWrite(table, source, convention.name().toLowerCase(), inputs, output,
                out -> points.orderBy("run", "d").coalesce(1).write().parquet(new Path(out.stagingPath(), "points").toString()));
        points.unpersist();
        return 0;
    }
}
