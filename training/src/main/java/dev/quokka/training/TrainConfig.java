package dev.quokka.training;

import dev.quokka.dataprep.provenance.RunManifest;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.util.StdConverter;
import java.io.Serializable;

/**
 * Everything that defines a training run; the run manifest records it whole. A resumed run continues under the
 * config it was started with. Serializable, so that a sweep can hand a run to a Spark task.
 *
 * <p>The options come in groups, one record each: what is trained ({@code model}, {@code objective} with its
 * {@link Dlm} options), on what ({@code study}, {@code epochs} of it, {@code batchTokens} a step), the learning
 * rate's {@link Schedule}, the {@link AdamW} optimiser, the {@link Evaluation}, the {@link Checkpointing}, the
 * {@link StopRule} and, for a decay branch, its {@link Anneal}. {@link Builder} sets any option by its name (the
 * {@code quokka train} option's name in camelCase), which is how the CLI and sweeps make configs.
 *
 * <p>In JSON (run.json's {@code config}, hashed into {@code config_sha256}) a config is one flat object whose fields
 * are the builder's names, in a fixed order ({@link Json}): the groups are this class's structure, not the format's,
 * so run directories written before the groups existed resume, extend and compare as they did.
 *
 * @param model      a preset name ({@link ModelShape#PRESETS}) or "d,layers,heads"
 * @param objective  "dlm" or "ar"
 * @param dlm        the masked-diffusion options (ignored for AR)
 * @param study      the study directory
 * @param output     the run directory
 * @param tokenizer  the study's tokenizer.json (default: where the study's manifest says it was); its hash must match
 * @param epochs     train on this many epochs of the study (0: all it has)
 * @param batchTokens tokens per optimiser step: batchTokens / L sequences, the same for every run of a study
 * @param seed       initialisation and noise; the data order is the study's
 * @param anneal     when set, this run is a decay branch forked from another run's checkpoint
 * @param stop       when set, the run stops once its validation loss has turned up for good ({@link StopRule})
 */
@JsonSerialize(converter = TrainConfig.ToJson.class)
@JsonDeserialize(converter = TrainConfig.FromJson.class)
public record TrainConfig(String model, String objective, Dlm dlm, String study, String output, String tokenizer,
                          double epochs, int batchTokens, long seed, Schedule schedule, AdamW optimiser,
                          Evaluation evaluation, Checkpointing checkpoints, StopRule stop, Anneal anneal) implements Serializable {

    /**
     * The learning rate by step: a linear warmup, then "cosine" to {@code minLr} over the whole run, or "wsd":
     * held at {@code lr}, then a decay over the last {@code decayFraction} of the steps.
     *
     * @param warmup      the share of steps spent warming up (unless {@code warmupSteps} is set)
     * @param warmupSteps when positive, the warmup in steps: then the schedule before the decay does not depend on
     *                    where the run ends, and a warmup-stable-decay run can be extended ({@link Trainer#extend})
     */
    public record Schedule(String shape, double lr, double minLr, double warmup, long warmupSteps, double decayFraction,
                           LrSchedule.Decay decay) implements Serializable {
        public Schedule {
            if (!shape.equals("cosine") && !shape.equals("wsd")) throw new IllegalArgumentException("--schedule must be cosine or wsd, not " + shape);
            if (!(lr > 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("--lr must be a positive number, not " + lr);
            if (!(minLr >= 0 && minLr <= lr)) throw new IllegalArgumentException("--min-lr must be in [0, --lr = " + lr + "], not " + minLr);
            if (!(warmup >= 0 && warmup < 1)) throw new IllegalArgumentException("--warmup must be a fraction of the run in [0, 1), not " + warmup);
            if (warmupSteps < 0) throw new IllegalArgumentException("--warmup-steps must be >= 0, not " + warmupSteps);
            if (warmupSteps > 0 && warmup > 0) throw new IllegalArgumentException("give --warmup (a share of the run) or --warmup-steps, not both");
            if (!(decayFraction >= 0 && decayFraction <= 1)) throw new IllegalArgumentException("--decay must be a fraction of the run in [0, 1], not " + decayFraction);
        }

        /** The warmup's steps in a run of {@code total} steps. */
        long warmupIn(long total) {
            return warmupSteps > 0 ? Math.min(warmupSteps, total) : Math.round(warmup * total);
        }
    }

    /**
     * When the run is evaluated on its fixed validation set: at every epoch boundary, at the end, and every
     * {@code every} steps (0: only those).
     *
     * @param sequences held-out windows of L+1 tokens to evaluate on, the first ones of the fixed validation set
     * @param samples   K, the stratified noise levels per held-out sequence for the diffusion ELBO
     */
    public record Evaluation(long every, int sequences, int samples) implements Serializable {
        public Evaluation {
            if (every < 0) throw new IllegalArgumentException("--eval-every must be >= 0 (0: only at epoch boundaries and the end), not " + every);
            if (sequences <= 0) throw new IllegalArgumentException("--val-sequences must be positive, not " + sequences);
            if (samples <= 0) throw new IllegalArgumentException("--val-samples must be positive, not " + samples);
        }
    }

    /**
     * Which steps keep a checkpoint as a matter of course: every epoch boundary ({@code epochs}) and every
     * {@code every} steps (0: none); {@link CheckpointPolicy} adds the ones the trainer needs.
     */
    public record Checkpointing(boolean epochs, long every) implements Serializable {
        public Checkpointing {
            if (every < 0) throw new IllegalArgumentException("--checkpoint-every must be >= 0 (0: none but at the end), not " + every);
        }
    }

    /**
     * The masked-diffusion options of docs/objective.md; {@link Objective.MaskedDiffusion} checks them.
     *
     * @param tFloor         eps: t = (1 - eps) u + eps
     * @param curriculum     a clean-to-noisy t curriculum, or null
     * @param variableLength the probability that a batch is cut to a random length
     * @param kernel         where corrupted tokens go: the mask (the default), or a uniformly drawn token
     */
    public record Dlm(MaskSchedule maskSchedule, Objective.Weighting weighting, double tFloor, Objective.Curriculum curriculum,
                      double variableLength, Objective.Kernel kernel) implements Serializable {
        public Dlm {
            if (kernel == null) kernel = Objective.Kernel.MASK; // run.json files from before the uniform kernel
            if (!(tFloor >= 0 && tFloor < 1)) throw new IllegalArgumentException("--t-floor must be in [0, 1), not " + tFloor);
            if (!(variableLength >= 0 && variableLength <= 1)) throw new IllegalArgumentException("--variable-length must be a probability in [0, 1], not " + variableLength);
        }

        /** The released code's: linear schedule, the realised-fraction ELBO weight, eps 1e-3, no curriculum, fixed length. */
        public static Dlm defaults() {
            return new Dlm(MaskSchedule.LINEAR, Objective.Weighting.ELBO_REALISED, 1e-3, null, 0, Objective.Kernel.MASK);
        }
    }

    /**
     * Stop a run whose validation loss has turned up for good: once the loss at an epoch boundary has stayed above
     * (1 + margin) x its best for {@code patience} epochs. The best epoch's checkpoint is kept.
     */
    public record StopRule(double margin, int patience) implements Serializable {
        public StopRule {
            if (!(margin >= 0) || Double.isInfinite(margin)) throw new IllegalArgumentException("--stop-margin must be >= 0, not " + margin);
            if (patience < 1) throw new IllegalArgumentException("--stop-patience must be at least 1 epoch, not " + patience);
        }

        /** Whether a loss is past the rule's margin above the best. */
        public boolean above(double loss, double best) {
            return loss > (1 + margin) * best;
        }
    }

    /** A branch: from {@code checkpoint} (a step of {@code parentRun}), decay to minLr over {@code steps} steps. */
    public record Anneal(String parentRun, String checkpoint, long fromStep, double fromLr, long steps) implements Serializable {}

    /** The checks that span groups; each group checks its own options, and each message names the option. */
    public TrainConfig {
        if (!objective.equals("dlm") && !objective.equals("ar")) throw new IllegalArgumentException("--objective must be dlm or ar, not " + objective);
        if (batchTokens <= 0) throw new IllegalArgumentException("--batch-tokens must be positive, not " + batchTokens);
        if (!(epochs >= 0) || Double.isInfinite(epochs)) throw new IllegalArgumentException("--epochs must be >= 0 (0: all the study has), not " + epochs);
        if (schedule.decay() == LrSchedule.Decay.EXPONENTIAL && schedule.minLr() == 0 && (schedule.shape().equals("wsd") || anneal != null)) {
            throw new IllegalArgumentException("--min-lr must be positive for an exponential decay (--decay-shape exponential)");
        }
    }

    /** The release-script defaults (docs/objective.md) for everything but the study, output, objective and model. */
    public static TrainConfig defaults(String study, String output, String objective, String model, int batchTokens) {
        return new TrainConfig(model, objective, Dlm.defaults(), study, output, null, 0, batchTokens, 0,
                new Schedule("cosine", 2e-4, 2e-5, 0.01, 0, 0.1, LrSchedule.Decay.EXPONENTIAL), AdamW.papers(),
                new Evaluation(0, 256, 4), new Checkpointing(false, 0), null, null);
    }

    /** A builder starting from the release-script defaults ({@link #defaults}). */
    public static Builder builder(String study, String output, String objective, String model, int batchTokens) {
        return defaults(study, output, objective, model, batchTokens).toBuilder();
    }

    /** A builder starting from this config. */
    public Builder toBuilder() {
        return new Builder(toJson());
    }

    /**
     * A config in its JSON form: every option by its name, flat, in the order run.json has always written them.
     * {@link Builder} works on this form, so that one option is set the same way however it is grouped.
     */
    @JsonPropertyOrder({"study", "output", "objective", "model", "batchTokens", "lr", "minLr", "schedule", "warmup", "decayFraction",
            "decay", "adamW", "epochs", "evalEvery", "valSequences", "valSamples", "dlm", "seed", "checkpointEpochs",
            "checkpointEvery", "tokenizer", "anneal", "warmupSteps", "stop"})
    public record Json(String study, String output, String objective, String model, int batchTokens, double lr, double minLr,
                       String schedule, double warmup, double decayFraction, LrSchedule.Decay decay, AdamW adamW, double epochs,
                       long evalEvery, int valSequences, int valSamples, Dlm dlm, long seed, boolean checkpointEpochs,
                       long checkpointEvery, String tokenizer, Anneal anneal, long warmupSteps, StopRule stop) {

        /** The config, its groups checked. */
        public TrainConfig config() {
            return new TrainConfig(model, objective, dlm, study, output, tokenizer, epochs, batchTokens, seed,
                    new Schedule(schedule, lr, minLr, warmup, warmupSteps, decayFraction, decay), adamW,
                    new Evaluation(evalEvery, valSequences, valSamples), new Checkpointing(checkpointEpochs, checkpointEvery), stop, anneal);
        }
    }

    /** This config's JSON form. */
    public Json toJson() {
        return new Json(study, output, objective, model, batchTokens, schedule.lr(), schedule.minLr(), schedule.shape(), schedule.warmup(),
                schedule.decayFraction(), schedule.decay(), optimiser, epochs, evaluation.every(), evaluation.sequences(),
                evaluation.samples(), dlm, seed, checkpoints.epochs(), checkpoints.every(), tokenizer, anneal, schedule.warmupSteps(), stop);
    }

    static final class ToJson extends StdConverter<TrainConfig, Json> {
        @Override
        public Json convert(TrainConfig c) {
            return c.toJson();
        }
    }

    static final class FromJson extends StdConverter<Json, TrainConfig> {
        @Override
        public TrainConfig convert(Json j) {
            return j.config();
        }
    }

    /**
     * Sets options by name (the JSON form's names: {@code quokka train}'s options in camelCase) and checks them all
     * at {@link #build()}, so that a config differing from another in one option says only that option.
     */
    public static final class Builder {
        private String study;
        private String output;
        private String objective;
        private String model;
        private int batchTokens;
        private double lr;
        private double minLr;
        private String schedule;
        private double warmup;
        private double decayFraction;
        private LrSchedule.Decay decay;
        private AdamW adamW;
        private double epochs;
        private long evalEvery;
        private int valSequences;
        private int valSamples;
        private Dlm dlm;
        private long seed;
        private boolean checkpointEpochs;
        private long checkpointEvery;
        private String tokenizer;
        private Anneal anneal;
        private long warmupSteps;
        private StopRule stop;

        private Builder(Json j) {
            study = j.study();
            output = j.output();
            objective = j.objective();
            model = j.model();
            batchTokens = j.batchTokens();
            lr = j.lr();
            minLr = j.minLr();
            schedule = j.schedule();
            warmup = j.warmup();
            decayFraction = j.decayFraction();
            decay = j.decay();
            adamW = j.adamW();
            epochs = j.epochs();
            evalEvery = j.evalEvery();
            valSequences = j.valSequences();
            valSamples = j.valSamples();
            dlm = j.dlm();
            seed = j.seed();
            checkpointEpochs = j.checkpointEpochs();
            checkpointEvery = j.checkpointEvery();
            tokenizer = j.tokenizer();
            anneal = j.anneal();
            warmupSteps = j.warmupSteps();
            stop = j.stop();
        }

        public Builder study(String value) { study = value; return this; }
        public Builder output(String value) { output = value; return this; }
        public Builder objective(String value) { objective = value; return this; }
        public Builder model(String value) { model = value; return this; }
        public Builder batchTokens(int value) { batchTokens = value; return this; }
        public Builder lr(double value) { lr = value; return this; }
        public Builder minLr(double value) { minLr = value; return this; }
        public Builder schedule(String value) { schedule = value; return this; }
        public Builder warmup(double value) { warmup = value; return this; }
        public Builder decayFraction(double value) { decayFraction = value; return this; }
        public Builder decay(LrSchedule.Decay value) { decay = value; return this; }
        public Builder adamW(AdamW value) { adamW = value; return this; }
        public Builder epochs(double value) { epochs = value; return this; }
        public Builder evalEvery(long value) { evalEvery = value; return this; }
        public Builder valSequences(int value) { valSequences = value; return this; }
        public Builder valSamples(int value) { valSamples = value; return this; }
        public Builder dlm(Dlm value) { dlm = value; return this; }
        public Builder seed(long value) { seed = value; return this; }
        public Builder checkpointEpochs(boolean value) { checkpointEpochs = value; return this; }
        public Builder checkpointEvery(long value) { checkpointEvery = value; return this; }
        public Builder tokenizer(String value) { tokenizer = value; return this; }
        public Builder anneal(Anneal value) { anneal = value; return this; }
        public Builder warmupSteps(long value) { warmupSteps = value; return this; }
        public Builder stop(StopRule value) { stop = value; return this; }

        public TrainConfig build() {
            return new Json(study, output, objective, model, batchTokens, lr, minLr, schedule, warmup, decayFraction, decay, adamW,
                    epochs, evalEvery, valSequences, valSamples, dlm, seed, checkpointEpochs, checkpointEvery, tokenizer, anneal,
                    warmupSteps, stop).config();
        }
    }

    public boolean diffusion() {
        return objective.equals("dlm");
    }

    /** What its objective's graph computes ({@link Objective#loss()}), known before the tokenizer is read. */
    public Objective.Loss loss() {
        return diffusion() && dlm.kernel == Objective.Kernel.UNIFORM ? Objective.Loss.UNIFORM_ELBO : Objective.Loss.CROSS_ENTROPY;
    }

    /** The shape this config names, for a vocabulary. */
    public ModelShape shape(int vocab) {
        return ModelShape.parse(model, vocab);
    }

    /** The objective, given the tokenizer's mask id (the masked kernel's) and its vocabulary (the uniform kernel's). */
    public Objective objective(int maskId, int vocab) {
        if (!diffusion()) return new Objective.Autoregressive();
        return switch (dlm.kernel) {
            case MASK -> new Objective.MaskedDiffusion(maskId, dlm.maskSchedule, dlm.weighting, dlm.tFloor, dlm.curriculum, dlm.variableLength);
            case UNIFORM -> new Objective.UniformDiffusion(vocab, dlm.maskSchedule, dlm.weighting, dlm.tFloor, dlm.curriculum, dlm.variableLength);
        };
    }

    /** The first step of a warmup-stable-decay run's decay, for a run of {@code total} steps; {@code total} if it has none. */
    public long decayStart(long total) {
        if (!schedule.shape().equals("wsd") || anneal != null) return total;
        return Math.max(schedule.warmupIn(total), total - Math.round(schedule.decayFraction() * total));
    }

    /** The learning rate by step for a run of {@code total} steps. */
    public LrSchedule lrSchedule(long total) {
        if (anneal != null) {
            long from = anneal.fromStep();
            LrSchedule decayPhase = LrSchedule.wsd(anneal.fromLr(), schedule.minLr(), 0, 0, anneal.steps(), schedule.decay());
            return step -> decayPhase.at(step - from);
        }
        long warm = schedule.warmupIn(total);
        return schedule.shape().equals("cosine") ? LrSchedule.cosine(schedule.lr(), schedule.minLr(), warm, total)
                : LrSchedule.wsd(schedule.lr(), schedule.minLr(), warm, decayStart(total), total, schedule.decay());
    }

    /** The config a run manifest records. */
    public static TrainConfig of(RunManifest run) {
        try {
            return RunFiles.JSON.treeToValue(run.config(), TrainConfig.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("not a training config: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * A decay branch of the run that wrote {@code checkpoint} (a {@code <run>/checkpoints/step-N} directory): the
     * parent's config, decaying from the lr it had there to {@code minLr} over {@code steps} steps.
     */
    public static TrainConfig annealBranch(String checkpoint, long steps, double minLr, LrSchedule.Decay decay, String output,
                                           org.apache.hadoop.conf.Configuration conf) throws java.io.IOException {
        if (steps <= 0) throw new IllegalArgumentException("--anneal-steps must be positive");
        org.apache.hadoop.fs.Path ckpt = new org.apache.hadoop.fs.Path(checkpoint);
        RunFiles parent = new RunFiles(ckpt.getParent().getParent().toString(), conf);
        if (!parent.fs.exists(new org.apache.hadoop.fs.Path(ckpt, Checkpoints.INFO))) {
            throw new IllegalArgumentException(checkpoint + ": not a checkpoint (no " + Checkpoints.INFO + ")");
        }
        com.fasterxml.jackson.databind.JsonNode info = Checkpoints.info(parent.fs, ckpt);
        TrainConfig p = of(parent.typedManifest());
        return p.toBuilder().output(output).minLr(minLr).decay(decay).checkpointEpochs(false).checkpointEvery(0).stop(null)
                .anneal(new Anneal(parent.dir.toString(), ckpt.toString(), info.get("step").asLong(), info.get("lr").asDouble(), steps)).build();
    }

    public TrainConfig withOutput(String out) {
        return toBuilder().output(out).build();
    }

    /** This config with a warmup of {@code steps} steps instead of a share of the run. */
    public TrainConfig withWarmupSteps(long steps) {
        return toBuilder().warmup(0).warmupSteps(steps).build();
    }

    /** This config trained to {@code e} epochs of {@code newStudy}: what an extended run becomes. */
    public TrainConfig extendedTo(double e, String newStudy) {
        return toBuilder().epochs(e).study(newStudy).build();
    }
}
