package dev.quokka.jobs.bench;

import dev.quokka.dataprep.spark.SerializableConfiguration;
import dev.quokka.dataprep.study.StudyReader;
import dev.quokka.jobs.runtime.SparkSessions;
import dev.quokka.jobs.study.SweepTask;
import dev.quokka.training.ModelShape;
import dev.quokka.training.TrainConfig;
import dev.quokka.training.engines.Engines;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.FileUtil;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Sweep throughput: runs side by side as Spark tasks of one thread each, against one run alone, in one process. */
@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train the same run alone, as one Spark task, then --parallel copies of it at once, one task each, with "
                + "spark.task.cpus = 1 (ND4J and BLAS held to one thread per task). Prints the wall time of each job, the "
                + "throughput ratio (parallel x alone / together), and whether every copy's loss curve equals the lone run's.",
                "Spark runs in local[2] unless --master is given. Times include each task's model set-up and its first evaluation, "
                + "as in a sweep, after one untimed job to warm up.",
                "With --batch-runs K: the --parallel runs one per task (as sweeps train by default) against the same runs in "
                + "tasks of K, each task training its runs as one batched graph, and against the runs one per task as sweeps "
                + "trained them before issue 22 (ND4J's own graph session, fresh arrays every step): wall times, the ratios, the "
                + "aggregate model FLOP/s (6 N D over the wall time) against the machine's sgemm peak, and whether every run's "
                + "curve is the same all three ways. Needs a local master."})
final class SweepBench implements Callable<Integer> {
    @Option(names = "--study", required = true, description = "A complete study") String study;
    @Option(names = "--objective", defaultValue = "dlm", description = "dlm or ar (default: ${DEFAULT-VALUE})") String objective;
    @Option(names = "--model", defaultValue = "tiny", description = "Preset or d,layers,heads (default: ${DEFAULT-VALUE})") String model;
    @Option(names = "--batch-tokens", defaultValue = "2048", description = "Tokens per step (default: ${DEFAULT-VALUE})") int batchTokens;
    @Option(names = "--steps", defaultValue = "40", description = "Steps per run (default: ${DEFAULT-VALUE})") int steps;
    @Option(names = "--val-sequences", defaultValue = "16", description = "Validation windows of each run's first evaluation (default: ${DEFAULT-VALUE})") int valSequences;
    @Option(names = "--parallel", defaultValue = "2", description = "Runs at once (default: ${DEFAULT-VALUE})") int parallel;
    @Option(names = "--batch-runs", defaultValue = "0", paramLabel = "K", description = "Compare one run per task with tasks of K batched runs "
            + "(default: 0, the runs-together-against-one-alone comparison)") int batchRuns;
    @Option(names = "--rounds", defaultValue = "3", description = "Alone-then-together rounds; the median ratio is reported (default: ${DEFAULT-VALUE})") int rounds;

    @Override
    public Integer call() throws Exception {
        SparkSessions.setMasterIfUnset("local[2]");
        var spark = SparkSessions.get("quokka bench sweep", conf -> conf.set("spark.task.cpus", "1"));
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        SerializableConfiguration hadoop = new SerializableConfiguration(spark.sparkContext().hadoopConfiguration());
        Path dir = Files.createTempDirectory("quokka-bench-sweep");
        System.out.printf("quokka bench sweep: %s %s, %d steps of %d tokens per run, master %s, spark.task.cpus 1%n", objective, model, steps,
                batchTokens, spark.sparkContext().master());
        if (batchRuns > 0) return batched(jsc, hadoop, dir);
        double[] ratios = new double[rounds];
        boolean identical = true;
        try {
            job(jsc, hadoop, dir.resolve("warm-up"), parallel, 0); // class loading, JIT and ND4J's start-up, untimed
            for (int round = 0; round < rounds; round++) {
                Path r = dir.resolve("round-" + round);
                Timed alone = job(jsc, hadoop, r.resolve("alone"), 1, 0);
                Timed together = job(jsc, hadoop, r.resolve("together"), parallel, 0);
                ratios[round] = parallel * alone.seconds / together.seconds;
                for (String curve : together.curves) identical &= curve.equals(alone.curves.get(0));
                System.out.printf("round %d: alone %.1f s (%,.0f tok/s in training), %d together %.1f s (%,.0f tok/s each); throughput ratio %.2fx%n",
                        round + 1, alone.seconds, alone.tokensPerSecond, parallel, together.seconds, together.tokensPerSecond, ratios[round]);
            }
        } finally {
            FileUtil.fullyDelete(dir.toFile());
        }
        double[] sorted = ratios.clone();
        Arrays.sort(sorted);
        System.out.printf("ratio, %d together vs alone: %.2fx (median of %d rounds; range %.2f-%.2f); every run's loss curve equals the lone run's: %s%n",
                parallel, sorted[rounds / 2], rounds, sorted[0], sorted[rounds - 1], identical ? "yes" : "NO");
        return identical ? 0 : 1;
    }

    private record Timed(double seconds, double tokensPerSecond, List<String> curves) {}

    /**
     * The --batch-runs comparison: the same --parallel runs one per task as sweeps trained them before issue 22 (ND4J's
     * own graph session), one per task as they train now (arrays reused across steps), and in batched tasks of K.
     */
    private int batched(JavaSparkContext jsc, SerializableConfiguration hadoop, Path dir) throws Exception {
        if (!jsc.isLocal()) throw new IllegalArgumentException("--batch-runs compares routes inside this process: it needs a local --master");
        int vocab = StudyReader.open(study, jsc.hadoopConfiguration()).manifest().tokenizer().vocabSize();
        double flopsPerRun = 6.0 * ModelShape.parse(model, vocab).papersParameters() * (double) steps * batchTokens;
        double peak = Engines.sgemmFlops(512, 5) * jsc.defaultParallelism();
        System.out.printf("%d runs: one per task in ND4J's own session (before), one per task reusing arrays, and in batched tasks of %d; "
                + "sgemm peak %.2f GFLOP/s (one thread's, x %d task slots)%n", parallel, batchRuns, peak / 1e9, jsc.defaultParallelism());
        double[][] ratios = new double[3][rounds];
        boolean identical = true;
        try {
            job(jsc, hadoop, dir.resolve("warm-up"), parallel, batchRuns);
            for (int round = 0; round < rounds; round++) {
                Path r = dir.resolve("round-" + round);
                Timed before;
                Engines.reuseArrays(false);
                try {
                    before = job(jsc, hadoop, r.resolve("before"), parallel, 0);
                } finally {
                    Engines.reuseArrays(true);
                }
                Timed single = job(jsc, hadoop, r.resolve("single"), parallel, 0);
                Timed batched = job(jsc, hadoop, r.resolve("batched"), parallel, batchRuns);
                ratios[0][round] = before.seconds / batched.seconds;
                ratios[1][round] = before.seconds / single.seconds;
                ratios[2][round] = single.seconds / batched.seconds;
                boolean same = single.curves.equals(before.curves), batchedSame = single.curves.equals(batched.curves);
                identical &= same && batchedSame;
                if (!same || !batchedSame) {
                    System.out.printf("round %d: curves differ: one per task %s before, batched %s one per task%n", round + 1,
                            same ? "equals" : "differs from", batchedSame ? "equals" : "differs from");
                    for (int i = 0; i < single.curves.size(); i++) {
                        System.out.printf("  run %d: before %s%n         now    %s%n         batched %s%n", i, head(before.curves.get(i)), head(single.curves.get(i)),
                                head(batched.curves.get(i)));
                    }
                }
                System.out.printf("round %d: before %.1f s (%s), one per task %.1f s (%s), batched %.1f s (%s)%n", round + 1,
                        before.seconds, gflops(parallel * flopsPerRun / before.seconds, peak), single.seconds,
                        gflops(parallel * flopsPerRun / single.seconds, peak), batched.seconds, gflops(parallel * flopsPerRun / batched.seconds, peak));
            }
        } finally {
            FileUtil.fullyDelete(dir.toFile());
        }
        String[] names = {"batched in tasks of " + batchRuns + " vs one per task before", "one per task, reusing arrays, vs before",
                "batched vs one per task, both reusing arrays"};
        for (int i = 0; i < 3; i++) {
            double[] sorted = ratios[i].clone();
            Arrays.sort(sorted);
            System.out.printf("ratio, %s: %.2fx (median of %d rounds; range %.2f-%.2f)%n", names[i], sorted[rounds / 2], rounds, sorted[0], sorted[rounds - 1]);
        }
        System.out.printf("every run's loss and gradient-norm curve the same all three ways: %s%n", identical ? "yes" : "NO");
        return identical ? 0 : 1;
    }

    private static String head(String curve) {
        return curve.length() > 150 ? curve.substring(0, 150) + "..." : curve;
    }

    private static String gflops(double flops, double peak) {
        return String.format("%.2f GFLOP/s, %.0f%% of peak", flops / 1e9, 100 * flops / peak);
    }

    /** {@code runs} copies of the run (seeds 7, 8, ...), one per task, or in batched tasks of {@code batch} when positive. */
    private Timed job(JavaSparkContext jsc, SerializableConfiguration hadoop, Path dir, int runs, int batch) throws Exception {
        List<SweepTask.Work> work = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            TrainConfig cfg = TrainConfig.builder(study, dir.resolve("run-" + i).toUri().toString(), objective, model, batchTokens)
                    .valSequences(valSequences).seed(batchRuns > 0 ? 7 + i : 7).build();
            work.add(new SweepTask.Work("bench-" + i, cfg, hadoop, null, steps, false));
        }
        long t0 = System.nanoTime();
        List<SweepTask.Group> tasks = new ArrayList<>();
        for (int i = 0; i < runs; i += Math.max(1, batch)) {
            tasks.add(new SweepTask.Group(work.subList(i, Math.min(runs, i + Math.max(1, batch))), batch > 0));
        }
        List<SweepTask.Outcome> outcomes = jsc.parallelize(tasks, tasks.size()).map(new SweepTask()).collect().stream().flatMap(List::stream).toList();
        double seconds = (System.nanoTime() - t0) / 1e9;
        double tokensPerSecond = 0;
        List<String> curves = new ArrayList<>();
        for (SweepTask.Outcome o : outcomes) {
            if (o.summary() == null) throw new IllegalStateException(o.run() + " failed: " + o.error());
            tokensPerSecond += o.summary().tokensPerSecond() / runs;
            curves.add(Files.readAllLines(dir.resolve("run-" + outcomes.indexOf(o)).resolve("metrics/train.csv")).stream()
                    .map(l -> l.split(",")[4] + "/" + l.split(",")[5]).toList().toString());
        }
        return new Timed(seconds, tokensPerSecond, curves);
    }
}
