package dev.quokka.jobs.cli;

import dev.quokka.analysis.PointsTable;
import dev.quokka.analysis.RunPoints;
import dev.quokka.analysis.TensorBoardPoints;
import dev.quokka.dataprep.provenance.FitManifest;
import dev.quokka.jobs.options.FitOptions;
import dev.quokka.jobs.runtime.SparkSessions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
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
                "--format tensorboard reads TensorBoard event files instead (such as the logs Quokka released), with a mapping: "
                + "--tb-loss-tag names the loss, --tb-tokens-tag or --tb-tokens-per-step gives D, and --tb-run-name reads N and U "
                + "(and optionally the objective) from each run directory's name. Modes: final, epochs (the loss logged nearest "
                + "each whole epoch) or all.",
                "Writes <output>/points (Parquet: run, objective, n, u, d, loss, e, and for runs n_with_embeddings and n_without_embeddings), "
                + "fit.json, fit.md, and report.html with its PNG plots."})
public final class AnalyzeCommand implements Callable<Integer> {
    @Option(names = "--runs", required = true, split = ",", description = "Run directories or parents of them, paths or globs") List<String> runs;
    @Option(names = "--mode", defaultValue = "final", description = "final, epochs, anneal or train (default: ${DEFAULT-VALUE})") String mode;
    @Option(names = "--smooth", defaultValue = "" + RunPoints.DEFAULT_SMOOTHING,
            description = "train: the Gaussian's standard deviation as a fraction of a run's steps, at least one step (default: ${DEFAULT-VALUE})") double smooth;
    @Option(names = "--n", defaultValue = "papers", description = "N as papers (4Ld^2 + 3Ldh_f + 6Ld + Vd), non_embedding or total (default: ${DEFAULT-VALUE})") String n;
    @Option(names = "--truncate", arity = "0..1", paramLabel = "PATIENCE", fallbackValue = "" + RunPoints.DEFAULT_PATIENCE,
            description = "epochs: drop a run's points after its overfitting peak when a second descent follows; both must last PATIENCE "
                    + "epochs in a row, more than 1%% from the lowest loss before them (default PATIENCE: ${FALLBACK-VALUE})") Integer truncate;
    @Option(names = "--format", defaultValue = "runs", description = "runs (quokka's run directories) or tensorboard (event files) (default: ${DEFAULT-VALUE})") String format;
    @Option(names = "--tb-layout", description = "tensorboard: a known layout of tags instead of --tb-loss-tag and the tokens options: megatron "
            + "(Megatron-LM's and MegaDLMs' '" + MEGATRON_LOSS + "', logged against consumed samples; needs --tb-seq-length)") String layout;
    @Option(names = "--tb-seq-length", defaultValue = "0", description = "tensorboard, --tb-layout megatron: the runs' --seq-length, the tokens a sample holds") int seqLength;
    @Option(names = "--tb-loss-tag", defaultValue = "val/loss", description = "tensorboard: the scalar that is the loss (default: ${DEFAULT-VALUE})") String lossTag;
    @Option(names = "--tb-tokens-tag", description = "tensorboard: the scalar counting tokens seen") String tokensTag;
    @Option(names = "--tb-tokens-per-step", defaultValue = "0", description = "tensorboard: tokens a step stands for, when no tag counts them") double tokensPerStep;
    @Option(names = "--tb-run-name", description = "tensorboard: a regex matched against each run directory's whole name, with named groups n and u "
            + "(and optionally objective); values such as 3e8, 110M, 1.5B or 2k, e.g. '.*N(?<n>[0-9.]+[MB])_U(?<u>[0-9.]+[MB]).*'; or quokka, "
            + "for the names of Quokka's released runs (compute-constrained {FLOPs}_{model_size (M)}_{training_tokens}, U = D; data-constrained "
            + "{model_size (M)}_{training_tokens}_{repetition}_{anneal_steps}_{warmup_steps}_{micro_batch_size}_{global_batch_size}_{learning_rate}, "
            + "U = D / repetition). Runs whose names do not match are left out and counted") String runName;
    @Option(names = "--tb-objective", defaultValue = "", description = "tensorboard: the objective of runs whose name does not say") String tbObjective;
    @Option(names = "--output", required = true, description = "The analysis directory") String output;
    @Mixin FitOptions fit;

    /**
     * Megatron-LM's training loop (megatron/training/training.py, {@code _evaluate_and_print_results}) logs each loss
     * of the evaluation as "KEY validation" against the iteration and as "KEY validation vs samples" against the
     * consumed training samples; MegaDLMs' DLM and Megatron's GPT both report theirs as "lm loss". Against samples,
     * a step is one sample of --seq-length tokens, whatever the batch size did.
     */
    static final String MEGATRON_LOSS = "lm loss validation vs samples";

    /** Applies --tb-layout, refusing options it replaces. */
    private void megatronLayout() {
        if (layout == null) return;
        if (!layout.equals("megatron")) throw new IllegalArgumentException("--tb-layout must be megatron, not " + layout);
        if (!lossTag.equals("val/loss") || tokensTag != null || tokensPerStep != 0) {
            throw new IllegalArgumentException("--tb-layout megatron sets the loss tag and the tokens: leave out --tb-loss-tag, --tb-tokens-tag and --tb-tokens-per-step");
        }
        if (seqLength <= 0) throw new IllegalArgumentException("--tb-layout megatron needs --tb-seq-length (the runs' --seq-length), not " + seqLength);
        lossTag = MEGATRON_LOSS;
        tokensPerStep = seqLength;
    }

    @Override
    public Integer call() throws Exception {
        fit.validate();
        if (truncate != null && truncate < 1) throw new IllegalArgumentException("--truncate: the patience must be at least 1 epoch, not " + truncate);
        RunPoints.NConvention convention = RunPoints.NConvention.valueOf(n.toUpperCase());
        SparkSession spark;
        Dataset<Row> points;
        List<FitManifest.Input> inputs;
        String source, nConvention;
        int unnamed = 0;
        switch (format) {
            case "runs" -> {
                RunPoints.Mode m = RunPoints.Mode.valueOf(mode.toUpperCase());
                List<String> dirs = RunPoints.find(runs, new Configuration());
                spark = SparkSessions.get("quokka analyze");
                points = RunPoints.points(spark, dirs, m, convention, truncate == null ? 0 : truncate, smooth).cache();
                String metrics = m == RunPoints.Mode.TRAIN ? "/metrics/train.csv" : "/metrics/eval.csv";
                List<String> read = new ArrayList<>();
                for (String d : dirs) read.addAll(List.of(d + "/run.json", d + metrics));
                inputs = FitOptions.checksums(read);
                source = dirs.size() + " runs under " + String.join(", ", runs) + " (" + m.name().toLowerCase() + " points"
                        + (m == RunPoints.Mode.TRAIN ? ", smoothed over " + smooth + " of each run's steps)" : ")");
                nConvention = convention.name().toLowerCase();
            }
            case "tensorboard" -> {
                if (runName == null) throw new IllegalArgumentException("--format tensorboard needs --tb-run-name, to read N and U from each run's name");
                TensorBoardPoints.Mode m = TensorBoardPoints.Mode.valueOf(mode.toUpperCase());
                megatronLayout();
                TensorBoardPoints.Mapping mapping = new TensorBoardPoints.Mapping(lossTag, tokensTag, tokensPerStep, Pattern.compile(runName), tbObjective);
                Map<String, List<String>> files = TensorBoardPoints.find(runs, new Configuration());
                spark = SparkSessions.get("quokka analyze");
                points = TensorBoardPoints.points(spark, files, mapping, m);
                unnamed = TensorBoardPoints.unnamed(files, mapping).size();
                inputs = FitOptions.checksums(files.values().stream().flatMap(List::stream).toList());
                source = files.size() + " TensorBoard runs under " + String.join(", ", runs) + " (" + m.name().toLowerCase() + " points of "
                        + lossTag + ", D from " + (tokensTag != null ? tokensTag : tokensPerStep + " tokens a step") + ", names as " + runName + ")";
                nConvention = "as named";
            }
            default -> throw new IllegalArgumentException("--format is runs or tensorboard, not " + format);
        }
        PointsTable.Result table = PointsTable.check(points, fit.where);
        if (unnamed > 0) { // runs whose names do not say N and U: counted, never guessed
            Map<String, Long> excluded = new java.util.LinkedHashMap<>(table.excluded());
            excluded.put("runs whose names do not say N and U", (long) unnamed);
            table = new PointsTable.Result(table.points(), excluded);
        }
        Dataset<Row> written = points;
        fit.fitAndWrite(table, source, nConvention, inputs, output,
                out -> written.orderBy("run", "d").coalesce(1).write().parquet(new Path(out.stagingPath(), "points").toString()));
        points.unpersist();
        return 0;
    }
}
