package dev.quokka.jobs.cli;

import dev.quokka.dataprep.provenance.InputFiles;
import dev.quokka.jobs.runtime.SparkSessions;
import dev.quokka.jobs.study.SweepJob;
import dev.quokka.jobs.study.SweepPlan;
import dev.quokka.jobs.study.SweepTask;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a grid of training runs, each as one Spark task with spark.task.cpus threads (and one GPU on GPU "
                + "executors): objectives x models x unique budgets U x epochs, from a YAML or JSON spec (see README). Studies are "
                + "prepared once per (U, seed) and reused; each run writes its own directory under <output>/runs.",
                "Run it again to finish what is missing: complete runs are skipped, interrupted ones resume from their last "
                + "checkpoint. A task that fails is retried from its checkpoint by Spark, up to --max-attempts times. The sweep "
                + "ends with a summary table (also summary.csv and summary.md) and exits with 1 if any run did not complete."})
public final class SweepCommand implements Callable<Integer> {
    private static final Pattern LOCAL = Pattern.compile("local\\[(\\*|\\d+)]");

    @Spec CommandSpec command;
    @Option(names = "--spec", required = true, description = "The sweep spec, YAML or JSON, on any Hadoop FileSystem") String spec;
    @Option(names = "--output", required = true, description = "The sweep directory") String output;
    @Option(names = "--max-attempts", defaultValue = "3", description = "Attempts per run task (spark.task.maxFailures; local[N] becomes local[N,attempts]) (default: ${DEFAULT-VALUE})")
    int maxAttempts;
    @Option(names = "--runs", paramLabel = "REGEX", description = "Only the runs whose names match (the summary lists only them)") Pattern only;
    @Option(names = "--dry-run", description = "Print the studies and runs the spec expands to, and stop") boolean dryRun;
    @Option(names = "--extend-while-improving", paramLabel = "CAP", description = "Grow rule for runs to e_max: extend every run still improving "
            + "(best at the last epoch of its stable phase, or in the last quarter of its epochs), doubling its epochs up to CAP, "
            + "in rounds until each has turned or reached CAP (the spec's grid.extend_while_improving, by default)") Double extendCap;
    @Option(names = "--batch-runs", paramLabel = "K|auto", description = "Train up to K runs of equal length and shape in each task, as one "
            + "batched graph, or choose K for each shape by timing (auto); the spec's resources.batch_runs, by default 1: one run per "
            + "task. A run's curve does not depend on which runs share its batch, and is within float rounding of the run trained "
            + "alone (bit for bit at small shapes)") String batchRuns;
    @Option(names = "--inject-fault", hidden = true, paramLabel = SweepTask.Fault.SYNTAX,
            description = "Testing: the first ATTEMPTS (default 1) attempts of RUN's task die just before STEP; with :halt, "
                    + "their JVM halts, as kill -9 would") String injectFault;

    @Override
    public Integer call() throws Exception {
        Configuration hadoop = new Configuration();
        Path specPath = new Path(spec);
        FileSystem specFs = specPath.getFileSystem(hadoop);
        if (!specFs.exists(specPath)) throw new IllegalArgumentException(spec + ": no such sweep spec");
        String text;
        try (var in = specFs.open(specPath)) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        // Executors have their own working directories, so every path the runs see is made absolute here.
        String out = qualify(output, hadoop);
        if (extendCap != null && !(extendCap > 0)) throw new IllegalArgumentException("--extend-while-improving must be a positive number of epochs, not " + extendCap);
        SweepPlan plan = SweepPlan.parse(text, spec, out, p -> qualify(p, hadoop), extendCap == null ? 0 : extendCap);
        if (only != null) plan = plan.only(only);
        if (batchRuns != null) plan = plan.withBatchRuns(SweepPlan.batchRuns(batchRuns, "--batch-runs"));
        SweepTask.Fault fault = injectFault == null ? null : SweepTask.Fault.parse(injectFault).requireIn(plan);
        if (dryRun) {
            plan.studies().forEach(s -> System.out.printf("study %s: U = %,d, e = %s, L = %d, seed %d%n", s.config().output(),
                    s.config().uniqueTokens(), SweepPlan.label(s.config().epochs()), s.config().seqLen(), s.config().seed()));
            String growth = plan.extendCap() > 0 ? ", extended while improving up to " + SweepPlan.label(plan.extendCap()) : "";
            plan.longestFirst().forEach(r -> System.out.printf("run %s: %s %s on %s for %s epochs%s%n", r.config().output(), r.objective(),
                    r.model(), r.study(), (r.toMax() ? "up to " : "") + SweepPlan.label(r.epochs()), r.toMax() ? growth : ""));
            return 0;
        }
        SweepPlan p = plan;
        var spark = SparkSessions.get("quokka sweep", conf -> configure(conf, p, maxAttempts));
        SweepJob.Result r = SweepJob.run(spark, plan, out, fault, System.out);
        System.out.println();
        System.out.print(SweepJob.markdown(r.rows()));
        if (r.failed() > 0) {
            command.commandLine().getErr().printf("quokka sweep: %d of %d runs did not complete (see the error column; run the sweep again to retry them)%n",
                    r.failed(), r.rows().size());
            return 1;
        }
        return 0;
    }

    /** Task slots sized by the spec, retries, and ND4J's threads on the executors, unless spark-submit set them. */
    static void configure(SparkConf conf, SweepPlan plan, int maxAttempts) {
        conf.setIfMissing("spark.task.cpus", Integer.toString(plan.cpus()));
        if (plan.gpus() > 0) conf.setIfMissing("spark.task.resource.gpu.amount", Double.toString(plan.gpus()));
        conf.setIfMissing("spark.task.maxFailures", Integer.toString(maxAttempts));
        Matcher local = LOCAL.matcher(conf.get("spark.master"));
        if (local.matches()) conf.setMaster("local[" + local.group(1) + "," + maxAttempts + "]"); // local mode ignores maxFailures
        String threads = conf.get("spark.task.cpus");
        conf.setIfMissing("spark.executorEnv.OMP_NUM_THREADS", threads);
        conf.setIfMissing("spark.executorEnv.OPENBLAS_NUM_THREADS", threads);
        conf.setIfMissing("spark.executorEnv.OMP_WAIT_POLICY", "PASSIVE");
    }

    private static String qualify(String path, Configuration conf) {
        try {
            return InputFiles.qualify(path, conf);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(path + ": " + e.getMessage());
        }
    }
}
