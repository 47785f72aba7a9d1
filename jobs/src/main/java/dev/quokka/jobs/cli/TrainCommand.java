package dev.quokka.jobs.cli;

import dev.quokka.dataprep.study.SequenceSource;
import dev.quokka.jobs.options.TrainOptions;
import dev.quokka.jobs.runtime.SparkSessions;
import dev.quokka.training.LrSchedule;
import dev.quokka.training.Objective;
import dev.quokka.training.TrainConfig;
import dev.quokka.training.Trainer;
import dev.quokka.training.engines.Engines;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a masked-diffusion (dlm) or autoregressive (ar) transformer on a study, in one JVM, reading "
                + "its sequences in their exact order. Evaluates on the study's validation set at every epoch boundary "
                + "(and every --eval-every steps), and writes a run directory: run.json, metrics/train.csv, "
                + "metrics/eval.csv, TensorBoard events and checkpoints.",
                "Resume an interrupted run with --resume --output <run>; fork a decay branch from a checkpoint with "
                + "--anneal-from <run>/checkpoints/step-N --anneal-steps K --output <new run>.",
                "With --data-parallel W, one model trains across W Spark tasks (DL4J parameter averaging): each step's batch "
                + "is split by rows, so a step holds as many tokens as in one process. Checkpoints are the same format "
                + "either way, so a run may be resumed with or without it."})
public final class TrainCommand implements Callable<Integer> {
    @Mixin TrainOptions train;
    @Spec CommandSpec spec;
    @Option(names = "--resume", description = "Continue the run in --output from its latest checkpoint, under its own config") boolean resume;
    @Option(names = "--stop-after", defaultValue = "0", description = "End this session after this step, with a checkpoint (resume later)") long stopAfter;
    @Option(names = "--extend-to", paramLabel = "EPOCHS", description = "Extend the complete wsd run in --output to this many epochs, "
            + "on its study or a longer one (--study): as if trained to them from the start; its decay becomes an anneal branch") Double extendTo;
    @Option(names = "--anneal-from", description = "A checkpoint directory to fork a decay branch from") String annealFrom;
    @Option(names = "--anneal-steps", defaultValue = "0", description = "Steps of the branch's decay to --min-lr") long annealSteps;
    @Option(names = "--data-parallel", defaultValue = "0", paramLabel = "WORKERS",
            description = "Train across this many Spark tasks with DL4J parameter averaging (default: one process, no Spark)") int dataParallel;
    @Option(names = "--averaging-frequency", defaultValue = "1",
            description = "data-parallel: local steps per worker between averagings of parameters and Adam moments (default: ${DEFAULT-VALUE})") int averagingFrequency;
    @Option(names = "--batch-per-worker", paramLabel = "SEQUENCES",
            description = "data-parallel: sequences per worker per step; sets --batch-tokens to workers * this * L") Integer batchPerWorker;
    @Option(names = "--prefetch", defaultValue = "0",
            description = "data-parallel: minibatches each worker prepares ahead (default: ${DEFAULT-VALUE})") int prefetch;

    /** One process, or the Spark workers of --data-parallel (their threads: spark.task.cpus). */
    private Trainer.EngineFactory engines() {
        if (dataParallel == 0) {
            if (batchPerWorker != null || averagingFrequency != 1 || prefetch != 0) {
                throw new IllegalArgumentException("--batch-per-worker, --averaging-frequency and --prefetch need --data-parallel");
            }
            return Engines.singleProcess();
        }
        var spark = SparkSessions.get("quokka train --data-parallel " + dataParallel);
        int threads = Integer.parseInt(spark.sparkContext().getConf().get("spark.task.cpus", "1"));
        return Engines.dataParallel(JavaSparkContext.fromSparkContext(spark.sparkContext()), dataParallel, averagingFrequency, prefetch, threads);
    }

    @Override
    public Integer call() throws Exception {
        if (stopAfter < 0) throw new IllegalArgumentException("--stop-after must be >= 0 (0: train to the end), not " + stopAfter);
        if (dataParallel < 0) throw new IllegalArgumentException("--data-parallel must be >= 0 workers, not " + dataParallel);
        if (averagingFrequency < 1) throw new IllegalArgumentException("--averaging-frequency must be at least 1, not " + averagingFrequency);
        if (prefetch < 0) throw new IllegalArgumentException("--prefetch must be >= 0, not " + prefetch);
        if (batchPerWorker != null && batchPerWorker <= 0) throw new IllegalArgumentException("--batch-per-worker must be positive, not " + batchPerWorker);
        if (batchPerWorker != null && spec.commandLine().getParseResult().hasMatchedOption("--batch-tokens")) {
            throw new IllegalArgumentException("--batch-per-worker sets --batch-tokens; give one of them");
        }
        Configuration conf = new Configuration();
        Trainer.EngineFactory engines = engines();
        Trainer.Summary s;
        if (extendTo != null) {
            if (resume || annealFrom != null) throw new IllegalArgumentException("--extend-to continues a complete run; it takes neither --resume nor --anneal-from");
            if (!(extendTo > 0) || Double.isInfinite(extendTo)) throw new IllegalArgumentException("--extend-to must be a positive number of epochs, not " + extendTo);
            s = Trainer.extend(train.output, extendTo, train.study, engines, conf, stopAfter, System.out);
        } else if (resume) {
            s = Trainer.resume(train.output, engines, conf, stopAfter, System.out);
        } else {
            if (batchPerWorker != null) {
                if (train.study == null) throw new IllegalArgumentException("--batch-per-worker needs --study");
                int length = SequenceSource.open(train.study, conf).window() - 1;
                train.batchTokens = Math.multiplyExact(Math.multiplyExact(dataParallel, batchPerWorker), length);
            }
            TrainConfig cfg = annealFrom != null
                    ? TrainConfig.annealBranch(annealFrom, annealSteps, train.minLr, LrSchedule.Decay.valueOf(train.decayShape.toUpperCase()), train.output, conf)
                    : train.config();
            if (dataParallel > 0 && cfg.dlm().variableLength() > 0) {
                throw new IllegalArgumentException("--data-parallel trains batches of one shape; it cannot take --variable-length");
            }
            if (dataParallel > 0 && cfg.loss() != Objective.Loss.CROSS_ENTROPY) {
                throw new IllegalArgumentException("--data-parallel trains cross-entropy losses; --kernel uniform with --weighting elbo trains in one process");
            }
            s = Trainer.run(cfg, engines, conf, stopAfter, System.out);
        }
        System.out.printf("%s %s: %,d of %,d steps, train loss %s, validation loss %s (best %s), %,.0f tokens/s, data wait %.1f%%%n",
                s.complete() ? "finished" : "stopped", s.run(), s.steps(), s.totalSteps(), loss(s.lastTrainLoss()), loss(s.lastValLoss()),
                loss(s.bestValLoss()), s.tokensPerSecond(), 100 * s.dataWaitShare());
        return 0;
    }

    /** A loss to 4 decimals, or what it is when the run has none yet. */
    static String loss(double value) {
        return Double.isNaN(value) ? "(none yet)" : String.format("%.4f", value);
    }
}
