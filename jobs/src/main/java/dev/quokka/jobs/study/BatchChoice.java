package dev.quokka.jobs.study;

import dev.quokka.training.AdamW;
import dev.quokka.training.ModelShape;
import dev.quokka.training.Objective;
import dev.quokka.training.StepBench;
import dev.quokka.training.TrainConfig;
import dev.quokka.training.engines.Engines;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code batch_runs: auto}: how many runs of each shape a sweep task trains as one batched graph, chosen by timing on
 * this machine. Whether batching pays depends on the shape: batching saves per-operation overhead, not arithmetic, so
 * it gains most where the model is small for its vocabulary's output layer (BENCHMARKS.md, "Batched runs"). Each shape
 * is timed alone and in batches of 2 and 4 (the largest group's size if smaller), with as many copies at once as the
 * sweep has task slots, and the fastest size is taken if it beats one run per task by {@link #MIN_GAIN}.
 *
 * <p>The bar is high because a whole sweep gains less than its steps: in the learning-rate ablation (BENCHMARKS.md,
 * "Batched runs against one per task, end to end") steps timed 1.16x and 1.21x faster in batches of four, and the
 * batched sweep trained no faster than one run per task (its evaluations are not batched, and a batch ends with its
 * slowest run). Batches of six timed 0.6x of alone, so no larger size is tried.
 *
 * <p>Shapes whose runs never share a {@link SweepPlan#batchKey} (every run of a data-constrained grid of one seed has
 * its own length) are not timed: their K is 1.
 */
public final class BatchChoice {
    /** A batch's steps must be this much faster than one run per task's to be taken (see above). */
    static final double MIN_GAIN = 1.25;
    /** The largest batch timed. */
    static final int MAX_K = 4;
    static final int WARMUP_STEPS = 10, TIMED_STEPS = 10;

    /** Tokens per second of the machine when its task slots each train {@code k} runs of this config's shape (k = 1: alone). */
    public interface Timer {
        double tokensPerSecond(TrainConfig config, int k);
    }

    private BatchChoice() {}

    /**
     * K for each shape ({@link SweepPlan#shapeKey}) of the runs to train, printed with the timings behind it.
     *
     * @param configs the configs of the runs about to train
     */
    public static Map<String, Integer> choose(List<TrainConfig> configs, Timer timer, PrintStream console) {
        Map<String, Map<String, Integer>> groupSizes = new LinkedHashMap<>();
        Map<String, TrainConfig> example = new LinkedHashMap<>();
        for (TrainConfig c : configs) {
            if (!SweepPlan.batchable(c)) continue;
            groupSizes.computeIfAbsent(SweepPlan.shapeKey(c), k -> new LinkedHashMap<>()).merge(SweepPlan.batchKey(c), 1, Integer::sum);
            example.putIfAbsent(SweepPlan.shapeKey(c), c);
        }
        Map<String, Integer> chosen = new LinkedHashMap<>();
        for (var e : groupSizes.entrySet()) {
            int largest = e.getValue().values().stream().mapToInt(Integer::intValue).max().orElse(1);
            String shape = e.getKey().replace("/", ", ") + " tokens a step";
            if (largest < 2) {
                console.printf("batch_runs auto: %s: no two runs to batch (of equal length, and under a stop rule of one objective), one run per task%n", shape);
                continue;
            }
            TrainConfig c = example.get(e.getKey());
            double alone = timer.tokensPerSecond(c, 1);
            int best = 1;
            double bestRate = alone;
            List<String> timed = new ArrayList<>(List.of(String.format("alone %,.0f", alone)));
            for (int k : candidates(largest)) {
                double rate = timer.tokensPerSecond(c, k);
                timed.add(String.format("%d batched %,.0f", k, rate));
                if (rate > bestRate) {
                    best = k;
                    bestRate = rate;
                }
            }
            if (bestRate < MIN_GAIN * alone) best = 1;
            chosen.put(e.getKey(), best);
            console.printf("batch_runs auto: %s: tok/s %s: %s%n", shape, String.join(", ", timed),
                    best == 1 ? "one run per task (no batch %.2fx faster)".formatted(MIN_GAIN) : "batches of up to " + best + String.format(" (%.2fx)", bestRate / alone));
        }
        return chosen;
    }

    /** Batch sizes worth timing for groups of up to {@code largest} runs: 2 and 4, or the group's own size below 4. */
    static List<Integer> candidates(int largest) {
        TreeSet<Integer> k = new TreeSet<>();
        for (int p = 2; p <= Math.min(largest, MAX_K); p *= 2) k.add(p);
        if (largest <= MAX_K) k.add(largest);
        return List.copyOf(k);
    }

    /**
     * The timer of this machine: {@code slots} copies at once, each one engine alone or one batch of k runs, on
     * random tokens through the config's own objective; the copies' rates summed.
     */
    public static Timer measured(int vocab, int length, int cpusPerRun, int slots) {
        return (c, k) -> {
            Engines.limitThreads(cpusPerRun);
            ModelShape shape = c.shape(vocab);
            Objective o = c.objective(shape.vocab() - 1, shape.vocab());
            int rows = Math.max(1, c.batchTokens() / length);
            double[] mean = StudyCost.concurrently(slots, () -> new double[] {k == 1
                    ? StepBench.tokensPerSecond(Engines.singleProcess().create(shape, rows, length, o, AdamW.papers(), 1), o, WARMUP_STEPS, TIMED_STEPS, 7)
                    : StepBench.batchedTokensPerSecond(Engines.batched(k), k, shape, rows, length, o, WARMUP_STEPS, TIMED_STEPS)});
            return mean[0] * Math.max(1, slots);
        };
    }
}
