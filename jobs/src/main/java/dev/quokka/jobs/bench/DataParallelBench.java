package dev.quokka.jobs.bench;

import dev.quokka.jobs.runtime.SparkSessions;
import dev.quokka.training.AdamW;
import dev.quokka.training.Batch;
import dev.quokka.training.Engine;
import dev.quokka.training.ModelShape;
import dev.quokka.training.Objective;
import dev.quokka.training.StepBench;
import dev.quokka.training.engines.Engines;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The cost of an averaging round of data-parallel training, against single-process steps in the same process: round
 * times at several averaging frequencies k, fitted as T(k) = O + k t, give the overhead O per round and the
 * frequency above which it is under 10% of the round.
 */
@Command(name = "data-parallel", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Time single-process steps (all cores), then rounds of data-parallel training over --workers Spark "
                + "tasks of one thread each, at each averaging frequency k (random tokens, batches made before the clock "
                + "starts; the same tokens per step in both). Prints the median round time T(k), the steps/s ratio against "
                + "one process, and the least-squares fit T(k) = O + k t over the frequencies above 1 (local steps): O is "
                + "the overhead per averaging round, and it falls below 10%% of a round for k > 9 O / t.",
                "Frequency 1 is the synchronous mode (the driver takes the AdamW step); its overhead is T(1) - t.",
                "Spark runs in local[W] unless --master is given."})
final class DataParallelBench implements Callable<Integer> {
    @Option(names = "--objective", defaultValue = "dlm", description = "dlm or ar (default: ${DEFAULT-VALUE})") String objective;
    @Option(names = "--model", defaultValue = "tiny", description = "Preset or d,layers,heads (default: ${DEFAULT-VALUE})") String model;
    @Option(names = "--vocab", defaultValue = "8192", description = "Vocabulary size (default: ${DEFAULT-VALUE}; at GPT-2's 50,258 a single process is memory-bound, see BENCHMARKS.md)") int vocab;
    @Option(names = "--seq-len", defaultValue = "128", description = "Positions per row (default: ${DEFAULT-VALUE})") int length;
    @Option(names = "--batch-tokens", defaultValue = "4096", description = "Tokens per step, over all workers (default: ${DEFAULT-VALUE})") int batchTokens;
    @Option(names = "--workers", defaultValue = "2", description = "Spark tasks (default: ${DEFAULT-VALUE})") int workers;
    @Option(names = "--frequencies", split = ",", defaultValue = "1,2,4,8", description = "Averaging frequencies (default: ${DEFAULT-VALUE})") List<Integer> frequencies;
    @Option(names = "--rounds", defaultValue = "5", description = "Timed rounds per frequency, after one untimed; the median is reported (default: ${DEFAULT-VALUE})") int rounds;
    @Option(names = "--steps", defaultValue = "10", description = "Timed single-process steps, after 3 untimed (default: ${DEFAULT-VALUE})") int steps;

    @Override
    public Integer call() {
        if (batchTokens % length != 0) throw new IllegalArgumentException("--batch-tokens must be a multiple of --seq-len");
        int rows = batchTokens / length;
        SparkSessions.setMasterIfUnset("local[" + workers + "]");
        var spark = SparkSessions.get("quokka bench data-parallel", conf -> conf.set("spark.task.cpus", "1"));
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        ModelShape shape = ModelShape.parse(model, vocab);
        Objective obj = objective.equals("ar") ? new Objective.Autoregressive() : Objective.MaskedDiffusion.standard(vocab - 1);
        AdamW adamW = AdamW.papers();
        System.out.printf("quokka bench data-parallel: %s %s (V=%d), %d rows x %d positions = %d tokens per step; %d workers of 1 thread, master %s%n",
                objective, model, vocab, rows, length, batchTokens, workers, spark.sparkContext().master());

        Engine single = Engines.singleProcess().create(shape, rows, length, obj.causal(), adamW, 1);
        double stepSeconds = StepBench.time(new Engine[] {single}, new Objective[] {obj}, 3, steps, 7)[0].medianSeconds();
        System.out.printf("single process: %.3f s per step (median of %d)%n%n", stepSeconds, steps);
        System.out.printf("%4s %12s %12s %16s%n", "k", "round s", "s per step", "steps/s vs single");

        int kMax = frequencies.stream().mapToInt(Integer::intValue).max().orElseThrow();
        Batch[] batches = StepBench.batches(single, obj, kMax, new SplittableRandom(7));
        double[] roundSeconds = new double[frequencies.size()];
        for (int f = 0; f < frequencies.size(); f++) {
            int k = frequencies.get(f);
            Engine engine = Engines.dataParallel(jsc, workers, k, 0, 1).create(shape, rows, length, obj.causal(), adamW, 1);
            List<Batch> round = Arrays.asList(batches).subList(0, k);
            double[] lrs = new double[k];
            Arrays.fill(lrs, 1e-4);
            double[] times = new double[rounds];
            for (int r = -1; r < rounds; r++) {
                long t0 = System.nanoTime();
                engine.steps(round, lrs);
                if (r >= 0) times[r] = (System.nanoTime() - t0) / 1e9;
            }
            Arrays.sort(times);
            roundSeconds[f] = times[rounds / 2];
            System.out.printf("%4d %12.3f %12.3f %15.2fx%n", k, roundSeconds[f], roundSeconds[f] / k, stepSeconds * k / roundSeconds[f]);
        }

        // Least squares over the local-step frequencies, whose rounds differ only in their number of steps.
        double n = 0, sk = 0, st = 0, skk = 0, skt = 0;
        for (int f = 0; f < frequencies.size(); f++) {
            int k = frequencies.get(f);
            if (k < 2) continue;
            n++;
            sk += k;
            st += roundSeconds[f];
            skk += (double) k * k;
            skt += k * roundSeconds[f];
        }
        if (n < 2 || n * skk == sk * sk) {
            System.out.println("\n(the fit needs at least two distinct frequencies above 1)");
            return 0;
        }
        double t = (n * skt - sk * st) / (n * skk - sk * sk), overhead = (st - t * sk) / n;
        System.out.printf("%nfit over k > 1: T(k) = %.3f s + k * %.3f s; overhead per averaging round %.3f s = %.1f single-process steps; "
                + "under 10%% of a round for k > %.1f%n", overhead, t, overhead, overhead / stepSeconds, 9 * overhead / t);
        int one = frequencies.indexOf(1);
        if (one >= 0) {
            System.out.printf("synchronous (k = 1): overhead T(1) - t = %.3f s per step; worker step t = %.3f s vs single-process step %.3f s%n",
                    roundSeconds[one] - t, t, stepSeconds);
        }
        return 0;
    }
}
