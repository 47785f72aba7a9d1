package dev.quokka.jobs;

import dev.quokka.dataprep.study.SequenceSource;
import dev.quokka.training.AdamW;
import dev.quokka.training.LrSchedule;
import dev.quokka.training.MaskSchedule;
import dev.quokka.training.Objective;
import dev.quokka.training.TrainConfig;
import dev.quokka.training.Trainer;
import dev.quokka.training.engines.Engines;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
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
final class TrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Option(names = "--study", description = "A complete `quokka shard` output") String study;
    @Option(names = "--output", required = true, description = "The run directory") String output;
    @Option(names = "--objective", defaultValue = "dlm", description = "dlm or ar (default: ${DEFAULT-VALUE})") String objective;
    @Option(names = "--model", defaultValue = "tiny", description = "A preset (tiny, mini, small, base, medium, large) or d,layers,heads (default: ${DEFAULT-VALUE})") String model;
    @Option(names = "--batch-tokens", defaultValue = "8192", description = "Tokens per optimiser step, a multiple of the study's L (default: ${DEFAULT-VALUE})") int batchTokens;
    @Option(names = "--lr", defaultValue = "2e-4", description = "Peak learning rate (default: ${DEFAULT-VALUE})") double lr;
    @Option(names = "--min-lr", defaultValue = "2e-5", description = "Final learning rate (default: ${DEFAULT-VALUE})") double minLr;
    @Option(names = "--schedule", defaultValue = "cosine", description = "cosine, or wsd: warmup-stable-decay (default: ${DEFAULT-VALUE})") String schedule;
    @Option(names = "--warmup", defaultValue = "0.01", description = "Share of steps for linear warmup (default: ${DEFAULT-VALUE})") double warmup;
    @Option(names = "--warmup-steps", defaultValue = "0", description = "Warm up over this many steps instead of a share of the run: "
            + "the schedule before the decay then does not depend on where the run ends, so a wsd run can be extended (--extend-to)") long warmupSteps;
    @Option(names = "--decay", defaultValue = "0.1", description = "wsd: share of steps for the final decay (default: ${DEFAULT-VALUE})") double decayFraction;
    @Option(names = "--decay-shape", defaultValue = "exponential", description = "wsd and anneal decay: linear or exponential (default: ${DEFAULT-VALUE})") String decayShape;
    @Option(names = "--weight-decay", defaultValue = "0.1", description = "AdamW decoupled weight decay, matrices only (default: ${DEFAULT-VALUE})") double weightDecay;
    @Option(names = "--clip", defaultValue = "1.0", description = "Clip the gradient's global norm to this; 0 for none (default: ${DEFAULT-VALUE})") double clip;
    @Option(names = "--epochs", defaultValue = "0", description = "Train on this many of the study's epochs; 0 for all (default)") double epochs;
    @Option(names = "--eval-every", defaultValue = "0", description = "Also evaluate every this many steps (default: only at epoch boundaries and the end)") long evalEvery;
    @Option(names = "--val-sequences", defaultValue = "256", description = "Validation windows of L+1 tokens (default: ${DEFAULT-VALUE})") int valSequences;
    @Option(names = "--val-samples", defaultValue = "4", description = "dlm: stratified noise levels per validation window (default: ${DEFAULT-VALUE})") int valSamples;
    @Option(names = "--mask-schedule", defaultValue = "linear", description = "dlm: linear, cosine or poly2 (default: ${DEFAULT-VALUE})") String maskSchedule;
    @Option(names = "--weighting", description = "dlm: elbo (w(t)), elbo_realised (1 / masked fraction, the released code's) or maskgit "
            + "(default: elbo_realised for the linear schedule, elbo otherwise)") String weighting;
    @Option(names = "--t-floor", defaultValue = "1e-3", description = "dlm: t = (1 - eps) u + eps (default: ${DEFAULT-VALUE})") double tFloor;
    @Option(names = "--curriculum", split = ",", arity = "1", paramLabel = "start,ramp,width",
            description = "dlm: a clean-to-noisy t curriculum: until the share ramp of training, t ~ N(mean, width) with the mean moving from start to 1; then t is uniform (default: none)")
    double[] curriculum;
    @Option(names = "--variable-length", defaultValue = "0", description = "dlm: the probability that a batch is cut to a random length in [2, L] (released code: 0.01; default: ${DEFAULT-VALUE})")
    double variableLength;
    @Option(names = "--seed", defaultValue = "0", description = "Initialisation and noise (default: ${DEFAULT-VALUE})") long seed;
    @Option(names = "--checkpoint-epochs", description = "Save a checkpoint at every epoch boundary") boolean checkpointEpochs;
    @Option(names = "--checkpoint-every", defaultValue = "0", description = "Also save a checkpoint every this many steps") long checkpointEvery;
    @Option(names = "--tokenizer", description = "The study's tokenizer.json (default: the path in the study's manifest)") String tokenizer;
    @Option(names = "--resume", description = "Continue the run in --output from its latest checkpoint, under its own config") boolean resume;
    @Option(names = "--stop-after", defaultValue = "0", description = "End this session after this step, with a checkpoint (resume later)") long stopAfter;
    @Option(names = "--stop-patience", paramLabel = "EPOCHS", description = "Stop rule: end the run once its validation loss at epoch "
            + "boundaries has stayed above (1 + --stop-margin) x its best for this many epochs; the best epoch's checkpoint is kept") Integer stopPatience;
    @Option(names = "--stop-margin", defaultValue = "0.01", description = "Stop rule: the rise over the best loss that counts (default: ${DEFAULT-VALUE})")
    double stopMargin;
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

    private TrainConfig.Dlm dlm() {
        MaskSchedule s = MaskSchedule.valueOf(maskSchedule.toUpperCase());
        Objective.Weighting w = weighting != null ? Objective.Weighting.valueOf(weighting.toUpperCase())
                : s == MaskSchedule.LINEAR ? Objective.Weighting.ELBO_REALISED : Objective.Weighting.ELBO;
        if (curriculum != null && curriculum.length != 3) throw new IllegalArgumentException("--curriculum takes start,ramp,width");
        return new TrainConfig.Dlm(s, w, tFloor, curriculum == null ? null : new Objective.Curriculum(curriculum[0], curriculum[1], curriculum[2]), variableLength);
    }

    /** The config of a new run from these options; {@code quokka sweep} builds its runs' configs here too. */
    TrainConfig config() {
        if (study == null) throw new IllegalArgumentException("--study is required (or --resume, or --anneal-from)");
        boolean warmupGiven = spec != null && spec.commandLine() != null && spec.commandLine().getParseResult() != null
                && spec.commandLine().getParseResult().hasMatchedOption("--warmup");
        double share = warmupSteps > 0 && !warmupGiven ? 0 : warmup; // --warmup-steps replaces the default share
        TrainConfig.StopRule stop = stopPatience == null ? null : new TrainConfig.StopRule(stopMargin, stopPatience);
        return TrainConfig.builder(study, output, objective, model, batchTokens).lr(lr).minLr(minLr).schedule(schedule).warmup(share)
                .decayFraction(decayFraction).decay(LrSchedule.Decay.valueOf(decayShape.toUpperCase()))
                .adamW(new AdamW(0.9, 0.95, 1e-8, weightDecay, clip)).epochs(epochs).evalEvery(evalEvery).valSequences(valSequences)
                .valSamples(valSamples).dlm(dlm()).seed(seed).checkpointEpochs(checkpointEpochs).checkpointEvery(checkpointEvery)
                .tokenizer(tokenizer).warmupSteps(warmupSteps).stop(stop).build();
    }

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
            s = Trainer.extend(output, extendTo, study, engines, conf, stopAfter, System.out);
        } else if (resume) {
            s = Trainer.resume(output, engines, conf, stopAfter, System.out);
        } else {
            if (batchPerWorker != null) {
                if (study == null) throw new IllegalArgumentException("--batch-per-worker needs --study");
                int length = SequenceSource.open(study, conf).window() - 1;
                batchTokens = Math.multiplyExact(Math.multiplyExact(dataParallel, batchPerWorker), length);
            }
            TrainConfig cfg = annealFrom != null
                    ? TrainConfig.annealBranch(annealFrom, annealSteps, minLr, LrSchedule.Decay.valueOf(decayShape.toUpperCase()), output, conf)
                    : config();
            if (dataParallel > 0 && cfg.dlm().variableLength() > 0) {
                throw new IllegalArgumentException("--data-parallel trains batches of one shape; it cannot take --variable-length");
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
