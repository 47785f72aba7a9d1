package dev.quokka.jobs.study;

import dev.quokka.analysis.Quantities;
import dev.quokka.training.AdamW;
import dev.quokka.training.Engine;
import dev.quokka.training.ModelShape;
import dev.quokka.training.Objective;
import dev.quokka.training.StepBench;
import dev.quokka.training.TrainConfig;
import dev.quokka.training.engines.Engines;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * What a study will cost before it starts: runs, tokens, FLOPs (6 N D, the papers' count) and an ETA from training
 * steps timed on this machine. Small shapes are timed as configured; larger ones (or steps too big for this
 * machine's memory) are timed on a proxy shape and scaled by model FLOPs. Evaluation is counted as forward passes
 * over the validation windows at every epoch, a third of a training step per token.
 */
public record StudyCost(int runs, long tokens, double flops, double etaSeconds, List<String> measured) {
    /** Shapes up to this size, with steps up to this many tokens, are timed as they will train. */
    static final long TIME_AS_IS_PARAMETERS = 5_000_000, TIME_AS_IS_TOKENS = 8192;

    /**
     * Untimed steps per engine before the clock starts, and timed steps. The first steps of a JVM run cold, and on a
     * shared 2-core machine single steps vary by 2-3x: 5 and 7 steps gave ETAs of half and twice the real time.
     */
    static final int WARMUP_STEPS = 20, TIMED_STEPS = 15;

    public static StudyCost estimate(SweepPlan plan, int vocab, int cpusPerRun, int slots) {
        Engines.limitThreads(cpusPerRun);
        Map<String, Double> secondsPerToken = new LinkedHashMap<>();
        List<String> measured = new ArrayList<>();
        int length = plan.studies().get(0).config().seqLen();
        // Every shape small enough is timed as it will train, all of them together and step by step in turn, so that
        // neither the JIT's warm-up nor a drift of the machine's speed falls on one of them alone.
        Map<String, SweepPlan.Run> asIs = new LinkedHashMap<>();
        boolean needProxy = false;
        for (SweepPlan.Run r : plan.runs()) {
            TrainConfig c = r.config();
            if (c.shape(vocab).papersParameters() <= TIME_AS_IS_PARAMETERS && c.batchTokens() <= TIME_AS_IS_TOKENS) {
                asIs.putIfAbsent(key(r), r);
            } else {
                needProxy = true;
            }
        }
        if (!asIs.isEmpty()) {
            double[] seconds = concurrently(Math.min(slots, plan.runs().size()), () -> {
                List<Engine> engines = new ArrayList<>();
                List<Objective> objectives = new ArrayList<>();
                for (SweepPlan.Run r : asIs.values()) {
                    ModelShape shape = r.config().shape(vocab);
                    Objective o = r.config().objective(shape.vocab() - 1, shape.vocab()); // its kernel and loss, which cost differently
                    engines.add(Engines.singleProcess().create(shape, Math.max(1, r.config().batchTokens() / length), length, o, AdamW.papers(), 1));
                    objectives.add(o);
                }
                StepBench.Timing[] t = StepBench.time(engines.toArray(Engine[]::new), objectives.toArray(Objective[]::new), WARMUP_STEPS, TIMED_STEPS, 7);
                return java.util.Arrays.stream(t).mapToDouble(StepBench.Timing::medianSeconds).toArray();
            });
            int i = 0;
            for (SweepPlan.Run r : asIs.values()) {
                double s = seconds[i++] / r.config().batchTokens();
                secondsPerToken.put(key(r), s);
                measured.add(String.format("%s%s %s, %,d tokens a step: %,.0f tok/s", r.config().objective(),
                        r.config().loss() == Objective.Loss.UNIFORM_ELBO ? " (uniform kernel)" : "", r.model(), r.config().batchTokens(), 1 / s));
            }
        }
        if (needProxy) {
            ModelShape proxy = ModelShape.of(Math.min(vocab, 8192), 256, 4, 4);
            int proxyLength = 256, rows = 16;
            Objective o = Objective.MaskedDiffusion.standard(proxy.vocab() - 1);
            Engine e = Engines.singleProcess().create(proxy, rows, proxyLength, o.causal(), AdamW.papers(), 1);
            double s = StepBench.time(new Engine[] {e}, new Objective[] {o}, WARMUP_STEPS, TIMED_STEPS, 7)[0].medianSeconds();
            double proxyFlopsPerSecond = proxy.modelFlopsPerToken(proxyLength) * rows * proxyLength / s;
            measured.add(String.format("proxy d=256, 4 layers, V=%d: %.1f GFLOP/s per run; larger shapes scaled by model FLOPs",
                    proxy.vocab(), proxyFlopsPerSecond / 1e9));
            for (SweepPlan.Run r : plan.runs()) {
                secondsPerToken.putIfAbsent(key(r), r.config().shape(vocab).modelFlopsPerToken(length) / proxyFlopsPerSecond);
            }
        }
        long tokens = 0;
        double flops = 0;
        List<Double> seconds = new ArrayList<>();
        for (SweepPlan.Run r : plan.runs()) {
            TrainConfig c = r.config();
            long d = Math.round(r.uniqueTokens() * r.epochs());
            double perToken = secondsPerToken.get(key(r));
            double evalTokens = evaluations(c, r.epochs(), d) * (double) c.evaluation().sequences() * (length + 1)
                    * (c.objective().equals("dlm") ? c.evaluation().samples() : 1);
            tokens += d;
            flops += c.shape(vocab).trainingFlops(d);
            seconds.add(d * perToken + evalTokens * perToken / 3);
        }
        return new StudyCost(plan.runs().size(), tokens, flops, makespan(seconds, slots), measured);
    }

    /**
     * How many times a run of {@code tokens} over {@code epochs} is evaluated: at its start, at every epoch boundary
     * and its end, and every {@code --eval-every} steps besides.
     */
    static long evaluations(TrainConfig c, double epochs, long tokens) {
        long evals = (long) Math.ceil(epochs) + 1;
        if (c.evaluation().every() > 0) evals += tokens / c.batchTokens() / c.evaluation().every();
        return evals;
    }

    /** Longest first onto the free slot, as the sweep schedules them. */
    static double makespan(List<Double> runSeconds, int slots) {
        PriorityQueue<Double> free = new PriorityQueue<>();
        for (int i = 0; i < Math.max(1, slots); i++) free.add(0.0);
        List<Double> sorted = new ArrayList<>(runSeconds);
        sorted.sort(Comparator.reverseOrder());
        double end = 0;
        for (double s : sorted) {
            double t = free.poll() + s;
            end = Math.max(end, t);
            free.add(t);
        }
        return end;
    }

    /**
     * Times in {@code slots} threads at once, as the sweep will train that many runs side by side: runs that share
     * the cores and the memory bandwidth are slower than one alone. The mean over the threads of each timing.
     */
    static double[] concurrently(int slots, java.util.function.Supplier<double[]> timing) {
        if (slots <= 1) return timing.get();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(slots);
        try {
            List<java.util.concurrent.Future<double[]>> all = new ArrayList<>();
            for (int i = 0; i < slots; i++) all.add(pool.submit(timing::get));
            double[] mean = null;
            for (var f : all) {
                double[] t = f.get();
                if (mean == null) mean = new double[t.length];
                for (int k = 0; k < t.length; k++) mean[k] += t[k] / slots;
            }
            return mean;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while timing", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("timing the shapes failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    private static String key(SweepPlan.Run r) {
        return r.model() + "/" + r.config().objective() + "/" + r.config().batchTokens() + "/" + r.config().loss();
    }

    public String describe(int slots) {
        StringBuilder s = new StringBuilder();
        s.append(String.format("  %d runs, %s tokens of training, %.3g FLOPs (6 N D)%n", runs, Quantities.format(tokens), flops));
        s.append(String.format("  timed on this machine (%s):%n", slots + (slots == 1 ? " run" : " runs") + " at a time"));
        measured.forEach(m -> s.append("    ").append(m).append('\n'));
        s.append(String.format("  ETA for training and evaluation: %s%n", duration(etaSeconds)));
        return s.toString();
    }

    static String duration(double seconds) {
        if (seconds < 90) return String.format("%.0f s", seconds);
        if (seconds < 90 * 60) return String.format("%.1f minutes", seconds / 60);
        if (seconds < 48 * 3600) return String.format("%.1f hours", seconds / 3600);
        if (seconds < 730 * 86400) return String.format("%.1f days", seconds / 86400);
        return String.format("%.3g years", seconds / (365.25 * 86400));
    }
}
