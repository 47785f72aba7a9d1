package dev.quokka.jobs.bench;

import dev.quokka.training.AdamW;
import dev.quokka.training.Engine;
import dev.quokka.training.ModelShape;
import dev.quokka.training.Objective;
import dev.quokka.training.OpTimes;
import dev.quokka.training.StepBench;
import dev.quokka.training.TrainConfig;
import dev.quokka.training.Trainer;
import dev.quokka.training.engines.Engines;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileUtil;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Training speed against this machine's own matrix-multiply peak, measured in the same process: tokens/s and model
 * FLOP/s per preset for both objectives, the DLM/AR step-time ratio, and (given a study) the data wait of a real run.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure the sgemm peak of this machine, then time training steps of each preset for the AR and "
                + "the DLM objective at identical shapes (random tokens, batches made before the clock starts). Prints "
                + "tokens/s, model FLOP/s (6 per projection weight per token plus attention) as a share of the peak, "
                + "and the DLM/AR step-time ratio (the two engines take their steps in turn).",
                "With --study, also trains the --wait-preset DLM on it for --wait-steps steps through the real loop and "
                + "prints the share of step time spent waiting for data."})
final class TrainBench implements Callable<Integer> {
    @Option(names = "--presets", split = ",", defaultValue = "tiny,mini,small,base",
            description = "Presets to time (default: ${DEFAULT-VALUE})") List<String> presets;
    @Option(names = "--models", split = ";", paramLabel = "D,LAYERS,HEADS", description = "Shapes to time instead of presets, ';'-separated") List<String> models;
    @Option(names = "--vocab", defaultValue = "50258", description = "Vocabulary size (default: ${DEFAULT-VALUE}, GPT-2 with the mask token)") int vocab;
    @Option(names = "--seq-len", defaultValue = "128", description = "Positions per row (default: ${DEFAULT-VALUE})") int length;
    @Option(names = "--batch-tokens", defaultValue = "4096", description = "Tokens per step (default: ${DEFAULT-VALUE})") int batchTokens;
    @Option(names = "--steps", defaultValue = "8", description = "Timed steps per measurement; the median is reported (default: ${DEFAULT-VALUE})") int steps;
    @Option(names = "--warmup", defaultValue = "3", description = "Untimed steps first (default: ${DEFAULT-VALUE})") int warmup;
    @Option(names = "--sgemm-size", defaultValue = "1024", description = "n of the n x n x n sgemm (default: ${DEFAULT-VALUE})") int sgemmSize;
    @Option(names = "--batch-runs", defaultValue = "0", paramLabel = "K", description = "Also time K DLM runs of each preset stepping "
            + "together through one batched engine, as a batched sweep task trains them (K threads, one step each at a time), "
            + "against K single-run steps (default: 0, not)") int batchRuns;
    @Option(names = "--op-profile", paramLabel = "N", defaultValue = "0", description = "Also show where a DLM step of each preset goes: "
            + "its N costliest op types (time and calls per step) and the rest of the step, the graph's scheduling and the "
            + "AdamW update (default: 0, not)") int opProfile;
    @Option(names = "--study", description = "A study to measure the data wait on (optional)") String study;
    @Option(names = "--wait-preset", defaultValue = "base", description = "Preset for the data-wait run (default: ${DEFAULT-VALUE})") String waitPreset;
    @Option(names = "--wait-steps", defaultValue = "30", description = "Steps of the data-wait run (default: ${DEFAULT-VALUE})") int waitSteps;

    @Override
    public Integer call() throws Exception {
        if (batchTokens % length != 0) throw new IllegalArgumentException("--batch-tokens must be a multiple of --seq-len");
        if (opProfile < 0) throw new IllegalArgumentException("--op-profile must be 0 (not) or a number of op types to show, not " + opProfile);
        int rows = batchTokens / length;
        PrintStream out = System.out;
        out.printf("quokka bench train: %s%n", Engines.describe());
        double peak = Engines.sgemmFlops(sgemmSize, 5);
        out.printf("sgemm peak: %.1f GFLOP/s (float32, %d^3, median of 5)%n", peak / 1e9, sgemmSize);
        out.printf("V=%d, %d rows x %d positions = %d tokens per step, median of %d steps after %d%n%n", vocab, rows, length, batchTokens, steps, warmup);
        out.printf("%-8s %12s %12s %10s %10s %8s %12s %8s%n", "preset", "N (papers)", "non-emb", "AR tok/s", "DLM tok/s", "DLM/AR", "GFLOP/s DLM", "of peak");
        for (String name : models != null ? models : presets) {
            ModelShape shape = ModelShape.parse(name, vocab);
            Objective[] objectives = {new Objective.Autoregressive(), Objective.MaskedDiffusion.standard(vocab - 1)};
            Engine[] engines = new Engine[2];
            for (int i = 0; i < 2; i++) engines[i] = Engines.singleProcess().create(shape, rows, length, objectives[i].causal(), AdamW.papers(), 1);
            StepBench.Timing[] t = StepBench.time(engines, objectives, warmup, steps, 7);
            double ar = t[0].medianSeconds(), dlm = t[1].medianSeconds();
            double flops = shape.modelFlopsPerToken(length) * batchTokens / dlm;
            out.printf("%-8s %12s %12s %,10.0f %,10.0f %8.3f %12.1f %7.1f%%%n", name, millions(shape.papersParameters()),
                    millions(shape.papersNonEmbeddingParameters()), batchTokens / ar, batchTokens / dlm, dlm / ar, flops / 1e9, 100 * flops / peak);
            if (batchRuns > 0) {
                double batched = StepBench.batchedTokensPerSecond(Engines.batched(batchRuns), batchRuns, shape, rows, length, objectives[1], warmup, steps);
                out.printf("%-8s %d DLM runs batched: %,.0f tok/s together (%.1f GFLOP/s, %.1f%% of peak): %.2fx the single engine's %,.0f%n", "",
                        batchRuns, batched, shape.modelFlopsPerToken(length) * batched / 1e9, 100 * shape.modelFlopsPerToken(length) * batched / peak,
                        batched / (batchTokens / dlm), batchTokens / dlm);
            }
            if (opProfile > 0) opProfile(out, engines[1], objectives[1]);
        }
        if (study != null) dataWait(out);
        return 0;
    }

    /** The --op-profile table of one engine's DLM steps. */
    private void opProfile(PrintStream out, Engine engine, Objective objective) {
        OpTimes t = Engines.profileOps(engine, StepBench.batches(engine, objective, 4, new java.util.SplittableRandom(7)), warmup, steps);
        out.printf("%-8s where a DLM step goes: %.1f ms a step; ops %.1f ms (listened), the rest %.1f ms (scheduling, AdamW)%n", "",
                t.stepMs(), t.opsMs(), Math.max(0, t.stepMs() - t.opsMs()));
        for (OpTimes.Op op : t.ops().subList(0, Math.min(opProfile, t.ops().size()))) {
            out.printf("%-8s   %-24s %8.2f ms %6.1f%% %6.0f calls%n", "", op.name(), op.msPerStep(), 100 * op.msPerStep() / t.stepMs(), op.callsPerStep());
        }
    }

    private void dataWait(PrintStream out) throws Exception {
        Path dir = Files.createTempDirectory("quokka-bench-train");
        try {
            TrainConfig cfg = TrainConfig.defaults(study, dir.resolve("run").toUri().toString(), "dlm", waitPreset, batchTokens);
            Trainer.Summary s = Trainer.run(cfg, Engines.singleProcess(), new Configuration(), waitSteps, new PrintStream(OutputStream.nullOutputStream()));
            out.printf("%ndata wait: %.2f%% of step time (%s DLM on %s, %d steps of %d tokens, %,.0f tok/s including evaluation)%n",
                    100 * s.dataWaitShare(), waitPreset, study, s.steps(), batchTokens, s.tokensPerSecond());
        } finally {
            FileUtil.fullyDelete(dir.toFile());
        }
    }

    private static String millions(long n) {
        return String.format("%.2fM", n / 1e6);
    }
}
