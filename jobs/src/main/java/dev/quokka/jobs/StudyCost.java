package dev.quokka.jobs;

import dev.quokka.analysis.Quantities;
import dev.quokka.training.AdamW;
import dev.quokka.training.Engine;
import dev.quokka.training.ModelShape;
import dev.quokka.training.Objective;
import dev.quokka.training.StepBench;
import dev.quokka.training.TrainConfig;
import dev.quokka.training.nd4j.Backend;
import dev.quokka.training.nd4j.SameDiffEngine;
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
record StudyCost(int runs, long tokens, double flops, double etaSeconds, List<String> measured) {
    /** Shapes up to this size, with steps up to this many tokens, are timed as they will train. */
    static final long TIME_AS_IS_PARAMETERS = 5_000_000, TIME_AS_IS_TOKENS = 8192;

    static StudyCost estimate(SweepPlan plan, int vocab, int cpusPerRun, int slots) {
        Backend.limitThreads(cpusPerRun);
        Map<String, Double> secondsPerToken = new LinkedHashMap<>();
        List<String> measured = new ArrayList<>();
        double proxyFlopsPerSecond = Double.NaN;
        for (SweepPlan.Run r : plan.runs()) {
            TrainConfig c = r.config();
            String key = r.model() + "/" + c.objective();
            if (secondsPerToken.containsKey(key)) continue;
            ModelShape shape = c.shape(vocab);
            int length = plan.studies().get(0).config().seqLen();
            if (shape.papersParameters() <= TIME_AS_IS_PARAMETERS && c.batchTokens() <= TIME_AS_IS_TOKENS) {
                double s = stepSeconds(shape, c.batchTokens() / length, length, c.objective()) / c.batchTokens();
                secondsPerToken.put(key, s);
                measured.add(String.format("%s %s: %,.0f tok/s", c.objective(), r.model(), 1 / s));
            } else {
                if (Double.isNaN(proxyFlopsPerSecond)) {
                    ModelShape proxy = ModelShape.of(Math.min(vocab, 8192), 256, 4, 4);
                    int proxyLength = 256, rows = 16;
                    double s = stepSeconds(proxy, rows, proxyLength, "dlm");
                    proxyFlopsPerSecond = proxy.modelFlopsPerToken(proxyLength) * rows * proxyLength / s;
                    measured.add(String.format("proxy d=256, 4 layers, V=%d: %.1f GFLOP/s per run; larger shapes scaled by model FLOPs",
                            proxy.vocab(), proxyFlopsPerSecond / 1e9));
                }
                secondsPerToken.put(key, shape.modelFlopsPerToken(length) / proxyFlopsPerSecond);
            }
        }
        long tokens = 0;
        double flops = 0;
        List<Double> seconds = new ArrayList<>();
        for (SweepPlan.Run r : plan.runs()) {
            TrainConfig c = r.config();
            long d = Math.round(r.uniqueTokens() * r.epochs());
            int length = plan.studies().get(0).config().seqLen();
            double perToken = secondsPerToken.get(r.model() + "/" + c.objective());
            long evals = (long) Math.ceil(r.epochs()) + 1;
            double evalTokens = evals * (double) c.valSequences() * (length + 1) * (c.objective().equals("dlm") ? c.valSamples() : 1);
            tokens += d;
            flops += c.shape(vocab).trainingFlops(d);
            seconds.add(d * perToken + evalTokens * perToken / 3);
        }
        return new StudyCost(plan.runs().size(), tokens, flops, makespan(seconds, slots), measured);
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

    private static double stepSeconds(ModelShape shape, int rows, int length, String objective) {
        Objective o = objective.equals("ar") ? new Objective.Autoregressive() : Objective.MaskedDiffusion.standard(shape.vocab() - 1);
        Engine e = SameDiffEngine.create(shape, Math.max(1, rows), length, o.causal(), AdamW.papers(), 1);
        return StepBench.time(new Engine[] {e}, new Objective[] {o}, 2, 3, 7)[0].medianSeconds();
    }

    String describe(int slots) {
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
