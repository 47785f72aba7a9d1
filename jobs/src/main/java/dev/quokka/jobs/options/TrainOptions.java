package dev.quokka.jobs.options;

import dev.quokka.training.AdamW;
import dev.quokka.training.LrSchedule;
import dev.quokka.training.MaskSchedule;
import dev.quokka.training.Objective;
import dev.quokka.training.TrainConfig;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The options that define a training run, by their long names: `quokka train` mixes them in, and a sweep's
 * {@code train:} map is parsed by them (so a sweep sets any of them by the name `quokka train --help` shows).
 */
public final class TrainOptions {
    /** The command these options are mixed into (or these options' own spec, parsed alone), for which were given. */
    @Spec(Spec.Target.MIXEE) CommandSpec spec;
    @Option(names = "--study", description = "A complete `quokka shard` output") public String study;
    @Option(names = "--output", required = true, description = "The run directory") public String output;
    @Option(names = "--objective", defaultValue = "dlm", description = "dlm or ar (default: ${DEFAULT-VALUE})") String objective;
    @Option(names = "--model", defaultValue = "tiny", description = "A preset (tiny, mini, small, base, medium, large) or d,layers,heads (default: ${DEFAULT-VALUE})") String model;
    @Option(names = "--batch-tokens", defaultValue = "8192", description = "Tokens per optimiser step, a multiple of the study's L (default: ${DEFAULT-VALUE})") public int batchTokens;
    @Option(names = "--lr", defaultValue = "2e-4", description = "Peak learning rate (default: ${DEFAULT-VALUE})") double lr;
    @Option(names = "--min-lr", defaultValue = "2e-5", description = "Final learning rate (default: ${DEFAULT-VALUE})") public double minLr;
    @Option(names = "--schedule", defaultValue = "cosine", description = "cosine, or wsd: warmup-stable-decay (default: ${DEFAULT-VALUE})") String schedule;
    @Option(names = "--warmup", defaultValue = "0.01", description = "Share of steps for linear warmup (default: ${DEFAULT-VALUE})") double warmup;
    @Option(names = "--warmup-steps", defaultValue = "0", description = "Warm up over this many steps instead of a share of the run: "
            + "the schedule before the decay then does not depend on where the run ends, so a wsd run can be extended (--extend-to)") long warmupSteps;
    @Option(names = "--decay", defaultValue = "0.1", description = "wsd: share of steps for the final decay (default: ${DEFAULT-VALUE})") double decayFraction;
    @Option(names = "--decay-shape", defaultValue = "exponential", description = "wsd and anneal decay: linear or exponential (default: ${DEFAULT-VALUE})") public String decayShape;
    @Option(names = "--weight-decay", defaultValue = "0.1", description = "AdamW decoupled weight decay, matrices only (default: ${DEFAULT-VALUE})") double weightDecay;
    @Option(names = "--clip", defaultValue = "1.0", description = "Clip the gradient's global norm to this; 0 for none (default: ${DEFAULT-VALUE})") double clip;
    @Option(names = "--epochs", defaultValue = "0", description = "Train on this many of the study's epochs; 0 for all (default)") double epochs;
    @Option(names = "--eval-every", defaultValue = "0", description = "Also evaluate every this many steps (default: only at epoch boundaries and the end)") long evalEvery;
    @Option(names = "--val-sequences", defaultValue = "256", description = "Validation windows of L+1 tokens (default: ${DEFAULT-VALUE})") int valSequences;
    @Option(names = "--val-samples", defaultValue = "4", description = "dlm: stratified noise levels per validation window (default: ${DEFAULT-VALUE})") int valSamples;
    @Option(names = "--kernel", defaultValue = "mask", description = "dlm: where corrupted tokens go: mask (absorbing) or uniform "
            + "(a token drawn uniformly from the vocabulary) (default: ${DEFAULT-VALUE})") String kernel;
    @Option(names = "--mask-schedule", defaultValue = "linear", description = "dlm: the noise schedule alpha_t, for either kernel: "
            + "linear, cosine or poly2 (default: ${DEFAULT-VALUE})") String maskSchedule;
    @Option(names = "--weighting", description = "dlm: elbo (w(t); the uniform kernel's own ELBO, its only choice), elbo_realised (1 / masked "
            + "fraction, the released code's) or maskgit (validated with the ELBO all the same) (default: elbo_realised for the mask kernel's "
            + "linear schedule, elbo otherwise)")
    String weighting;
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
    @Option(names = "--stop-patience", paramLabel = "EPOCHS", description = "Stop rule: end the run once its validation loss at epoch "
            + "boundaries has stayed above (1 + --stop-margin) x its best for this many epochs; the best epoch's checkpoint is kept") Integer stopPatience;
    @Option(names = "--stop-margin", defaultValue = "0.01", description = "Stop rule: the rise over the best loss that counts (default: ${DEFAULT-VALUE})")
    double stopMargin;

    private TrainConfig.Dlm dlm() {
        Objective.Kernel k = choice(Objective.Kernel.class, "--kernel", kernel);
        MaskSchedule s = choice(MaskSchedule.class, "--mask-schedule", maskSchedule);
        Objective.Weighting w = weighting != null ? choice(Objective.Weighting.class, "--weighting", weighting)
                : s == MaskSchedule.LINEAR && k == Objective.Kernel.MASK ? Objective.Weighting.ELBO_REALISED : Objective.Weighting.ELBO;
        if (k == Objective.Kernel.UNIFORM && w != Objective.Weighting.ELBO) {
            throw new IllegalArgumentException("--weighting " + weighting + " is the mask kernel's; --kernel uniform trains on its ELBO (--weighting elbo)");
        }
        if (k == Objective.Kernel.UNIFORM && !(tFloor > 0)) {
            throw new IllegalArgumentException("--kernel uniform needs --t-floor > 0: its ELBO weight is infinite at t = 0");
        }
        if (curriculum != null && curriculum.length != 3) throw new IllegalArgumentException("--curriculum takes start,ramp,width");
        return new TrainConfig.Dlm(s, w, tFloor, curriculum == null ? null : new Objective.Curriculum(curriculum[0], curriculum[1], curriculum[2]),
                variableLength, k);
    }

    /** One of an enum's values by its lower-case name, or an error that names the option and its choices. */
    private static <E extends Enum<E>> E choice(Class<E> type, String option, String value) {
        for (E e : type.getEnumConstants()) if (e.name().equalsIgnoreCase(value)) return e;
        throw new IllegalArgumentException(option + " must be one of " + java.util.Arrays.stream(type.getEnumConstants())
                .map(e -> e.name().toLowerCase()).collect(java.util.stream.Collectors.joining(", ")) + ", not " + value);
    }

    /** The config of a new run from these options; {@code quokka sweep} builds its runs' configs here too. */
    public TrainConfig config() {
        if (study == null) throw new IllegalArgumentException("--study is required (or --resume, or --anneal-from)");
        boolean warmupGiven = spec != null && spec.commandLine() != null && spec.commandLine().getParseResult() != null
                && spec.commandLine().getParseResult().hasMatchedOption("--warmup");
        double share = warmupSteps > 0 && !warmupGiven ? 0 : warmup; // --warmup-steps replaces the default share
        TrainConfig.StopRule stop = stopPatience == null ? null : new TrainConfig.StopRule(stopMargin, stopPatience);
        return TrainConfig.builder(study, output, objective, model, batchTokens).lr(lr).minLr(minLr).schedule(schedule).warmup(share)
                .decayFraction(decayFraction).decay(choice(LrSchedule.Decay.class, "--decay-shape", decayShape))
                .adamW(new AdamW(0.9, 0.95, 1e-8, weightDecay, clip)).epochs(epochs).evalEvery(evalEvery).valSequences(valSequences)
                .valSamples(valSamples).dlm(dlm()).seed(seed).checkpointEpochs(checkpointEpochs).checkpointEvery(checkpointEvery)
                .tokenizer(tokenizer).warmupSteps(warmupSteps).stop(stop).build();
    }

}
