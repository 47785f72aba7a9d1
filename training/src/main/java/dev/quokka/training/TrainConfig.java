package dev.quokka.training;

import dev.quokka.dataprep.provenance.RunManifest;
import java.io.Serializable;

/**
 * Everything that defines a training run; the run manifest records it whole. A resumed run continues under the
 * config it was started with. Serializable, so that a sweep can hand a run to a Spark task.
 *
 * @param model        a preset name ({@link ModelShape#PRESETS}) or "d,layers,heads"
 * @param batchTokens  tokens per optimiser step: batchTokens / L sequences, the same for every run of a study
 * @param schedule     "cosine" (over the whole run) or "wsd" (warmup, stable, then a decay over the last
 *                     {@code decayFraction} of the steps)
 * @param warmup       the share of steps spent warming up linearly (unless {@code warmupSteps} is set)
 * @param epochs       train on this many epochs of the study (0: all it has)
 * @param evalEvery    evaluate every this many steps, besides every epoch boundary and the end (0: only those)
 * @param valSequences held-out windows of L+1 tokens to evaluate on, the first ones of the fixed validation set
 * @param valSamples   K, the stratified noise levels per held-out sequence for the diffusion ELBO
 * @param dlm          the masked-diffusion options (ignored for AR)
 * @param seed         initialisation and noise; the data order is the study's
 * @param tokenizer    the study's tokenizer.json (default: where the study's manifest says it was); its hash must match
 * @param anneal       when set, this run is a decay branch forked from another run's checkpoint
 * @param warmupSteps  when positive, the warmup in steps: then the schedule before the decay does not depend on
 *                     where the run ends, and a warmup-stable-decay run can be extended ({@link Trainer#extend})
 * @param stop         when set, the run stops once its validation loss has turned up for good ({@link StopRule})
 */
public record TrainConfig(String study, String output, String objective, String model, int batchTokens,
                          double lr, double minLr, String schedule, double warmup, double decayFraction,
                          LrSchedule.Decay decay, AdamW adamW, double epochs, long evalEvery, int valSequences,
                          int valSamples, Dlm dlm, long seed, boolean checkpointEpochs, long checkpointEvery, String tokenizer, Anneal anneal,
                          long warmupSteps, StopRule stop) implements Serializable {

    /**
     * The masked-diffusion options of docs/objective.md; {@link Objective.MaskedDiffusion} checks them.
     *
     * @param tFloor         eps: t = (1 - eps) u + eps
     * @param curriculum     a clean-to-noisy t curriculum, or null
     * @param variableLength the probability that a batch is cut to a random length
     */
    public record Dlm(MaskSchedule maskSchedule, Objective.Weighting weighting, double tFloor, Objective.Curriculum curriculum,
                      double variableLength) implements Serializable {
        public Dlm {
            if (!(tFloor >= 0 && tFloor < 1)) throw new IllegalArgumentException("--t-floor must be in [0, 1), not " + tFloor);
            if (!(variableLength >= 0 && variableLength <= 1)) throw new IllegalArgumentException("--variable-length must be a probability in [0, 1], not " + variableLength);
        }

        /** The released code's: linear schedule, the realised-fraction ELBO weight, eps 1e-3, no curriculum, fixed length. */
        public static Dlm defaults() {
            return new Dlm(MaskSchedule.LINEAR, Objective.Weighting.ELBO_REALISED, 1e-3, null, 0);
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

    /** Every setting is checked here, before a run directory exists; each message names the option. */
    public TrainConfig {
        if (!objective.equals("dlm") && !objective.equals("ar")) throw new IllegalArgumentException("--objective must be dlm or ar, not " + objective);
        if (!schedule.equals("cosine") && !schedule.equals("wsd")) throw new IllegalArgumentException("--schedule must be cosine or wsd, not " + schedule);
        if (batchTokens <= 0) throw new IllegalArgumentException("--batch-tokens must be positive, not " + batchTokens);
        if (!(lr > 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("--lr must be a positive number, not " + lr);
        if (!(minLr >= 0 && minLr <= lr)) throw new IllegalArgumentException("--min-lr must be in [0, --lr = " + lr + "], not " + minLr);
        if (decay == LrSchedule.Decay.EXPONENTIAL && minLr == 0 && (schedule.equals("wsd") || anneal != null)) {
            throw new IllegalArgumentException("--min-lr must be positive for an exponential decay (--decay-shape exponential)");
        }
        if (!(warmup >= 0 && warmup < 1)) throw new IllegalArgumentException("--warmup must be a fraction of the run in [0, 1), not " + warmup);
        if (!(decayFraction >= 0 && decayFraction <= 1)) throw new IllegalArgumentException("--decay must be a fraction of the run in [0, 1], not " + decayFraction);
        if (!(epochs >= 0) || Double.isInfinite(epochs)) throw new IllegalArgumentException("--epochs must be >= 0 (0: all the study has), not " + epochs);
        if (evalEvery < 0) throw new IllegalArgumentException("--eval-every must be >= 0 (0: only at epoch boundaries and the end), not " + evalEvery);
        if (checkpointEvery < 0) throw new IllegalArgumentException("--checkpoint-every must be >= 0 (0: none but at the end), not " + checkpointEvery);
        if (valSequences <= 0) throw new IllegalArgumentException("--val-sequences must be positive, not " + valSequences);
        if (valSamples <= 0) throw new IllegalArgumentException("--val-samples must be positive, not " + valSamples);
        if (warmupSteps < 0) throw new IllegalArgumentException("--warmup-steps must be >= 0, not " + warmupSteps);
        if (warmupSteps > 0 && warmup > 0) throw new IllegalArgumentException("give --warmup (a share of the run) or --warmup-steps, not both");
    }

    /** The release-script defaults (docs/objective.md) for everything but the study, output, objective and model. */
    public static TrainConfig defaults(String study, String output, String objective, String model, int batchTokens) {
        return new TrainConfig(study, output, objective, model, batchTokens, 2e-4, 2e-5, "cosine", 0.01, 0.1,
                LrSchedule.Decay.EXPONENTIAL, AdamW.papers(), 0, 0, 256, 4, Dlm.defaults(), 0, false, 0, null, null, 0, null);
    }

    /** A builder starting from the release-script defaults ({@link #defaults}). */
    public static Builder builder(String study, String output, String objective, String model, int batchTokens) {
        return defaults(study, output, objective, model, batchTokens).toBuilder();
    }

    /** A builder starting from this config. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.study = study;
        b.output = output;
        b.objective = objective;
        b.model = model;
        b.batchTokens = batchTokens;
        b.lr = lr;
        b.minLr = minLr;
        b.schedule = schedule;
        b.warmup = warmup;
        b.decayFraction = decayFraction;
        b.decay = decay;
        b.adamW = adamW;
        b.epochs = epochs;
        b.evalEvery = evalEvery;
        b.valSequences = valSequences;
        b.valSamples = valSamples;
        b.dlm = dlm;
        b.seed = seed;
        b.checkpointEpochs = checkpointEpochs;
        b.checkpointEvery = checkpointEvery;
        b.tokenizer = tokenizer;
        b.anneal = anneal;
        b.warmupSteps = warmupSteps;
        b.stop = stop;
        return b;
    }

    /**
     * Sets options by name (the record's component names) and checks them all at {@link #build()}, so that a config
     * differing from another in one option says only that option.
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

        private Builder() {}

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
            return new TrainConfig(study, output, objective, model, batchTokens, lr, minLr, schedule, warmup, decayFraction, decay, adamW,
                    epochs, evalEvery, valSequences, valSamples, dlm, seed, checkpointEpochs, checkpointEvery, tokenizer, anneal, warmupSteps, stop);
        }
    }

    public boolean diffusion() {
        return objective.equals("dlm");
    }

    /** The shape this config names, for a vocabulary. */
    public ModelShape shape(int vocab) {
        return ModelShape.parse(model, vocab);
    }

    /** The objective, given the tokenizer's mask id (ignored for AR). */
    public Objective objective(int maskId) {
        return diffusion()
                ? new Objective.MaskedDiffusion(maskId, dlm.maskSchedule, dlm.weighting, dlm.tFloor, dlm.curriculum, dlm.variableLength)
                : new Objective.Autoregressive();
    }

    /** The first step of a warmup-stable-decay run's decay, for a run of {@code total} steps; {@code total} if it has none. */
    public long decayStart(long total) {
        if (!schedule.equals("wsd") || anneal != null) return total;
        long warm = warmupSteps > 0 ? Math.min(warmupSteps, total) : Math.round(warmup * total);
        return Math.max(warm, total - Math.round(decayFraction * total));
    }

    /** The learning rate by step for a run of {@code total} steps. */
    public LrSchedule lrSchedule(long total) {
        if (anneal != null) {
            long from = anneal.fromStep();
            LrSchedule decayPhase = LrSchedule.wsd(anneal.fromLr(), minLr, 0, 0, anneal.steps(), decay);
            return step -> decayPhase.at(step - from);
        }
        long warm = warmupSteps > 0 ? Math.min(warmupSteps, total) : Math.round(warmup * total);
        return schedule.equals("cosine") ? LrSchedule.cosine(lr, minLr, warm, total)
                : LrSchedule.wsd(lr, minLr, warm, decayStart(total), total, decay);
    }

    /**
     * A decay branch of the run that wrote {@code checkpoint} (a {@code <run>/checkpoints/step-N} directory): the
     * parent's config, decaying from the lr it had there to {@code minLr} over {@code steps} steps.
     */
    /** The config a run manifest records. */
    public static TrainConfig of(RunManifest run) {
        try {
            return RunFiles.JSON.treeToValue(run.config(), TrainConfig.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("not a training config: " + e.getOriginalMessage(), e);
        }
    }

    public static TrainConfig annealBranch(String checkpoint, long steps, double minLr, LrSchedule.Decay decay, String output,
                                           org.apache.hadoop.conf.Configuration conf) throws java.io.IOException {
        if (steps <= 0) throw new IllegalArgumentException("--anneal-steps must be positive");
        org.apache.hadoop.fs.Path ckpt = new org.apache.hadoop.fs.Path(checkpoint);
        RunFiles parent = new RunFiles(ckpt.getParent().getParent().toString(), conf);
        if (!parent.fs.exists(new org.apache.hadoop.fs.Path(ckpt, Checkpoints.INFO))) {
            throw new IllegalArgumentException(checkpoint + ": not a checkpoint (no " + Checkpoints.INFO + ")");
        }
        com.fasterxml.jackson.databind.JsonNode info = Checkpoints.info(parent.fs, ckpt);
        TrainConfig p = RunFiles.JSON.treeToValue(parent.manifest().get("config"), TrainConfig.class);
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
