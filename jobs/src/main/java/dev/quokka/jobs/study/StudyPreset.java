package dev.quokka.jobs.study;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A study's grid, chosen by name: what `quokka demo` and `quokka study --preset` run. A preset expands to a sweep
 * spec (the one `quokka sweep` reads), so a user can take the written {@code sweep.yaml} and change it.
 *
 * @param vocabSize the BPE vocabulary trained on the corpus, or 0 when the preset needs a given {@code --tokenizer}
 * @param eMax      every (objective, model, U) is one warmup-stable run to e_max, evaluated at every epoch
 * @param growTo    when positive, runs still improving at e_max are extended, doubling, up to this many epochs
 *                  (the sweep's {@code extend_while_improving})
 * @param budgets   FLOP budgets C of a compute-constrained study (Quokka's Section 3): one run per (objective, model,
 *                  C) on D = C / 6N fresh tokens, and no U or e_max; empty for a data-constrained study
 */
public record StudyPreset(String name, String purpose, int vocabSize, int seqLen, String valTokens, List<String> models,
                   List<String> uniqueTokens, int eMax, int growTo, Map<String, String> train, int cpusPerRun, List<String> budgets,
                   List<Experiment> experiments) {

    /** A data-constrained study: models x U x DLM and AR, to e_max. */
    public StudyPreset(String name, String purpose, int vocabSize, int seqLen, String valTokens, List<String> models,
                       List<String> uniqueTokens, int eMax, int growTo, Map<String, String> train, int cpusPerRun) {
        this(name, purpose, vocabSize, seqLen, valTokens, models, uniqueTokens, eMax, growTo, train, cpusPerRun, List.of(), List.of());
    }

    /** A compute-constrained study: models x FLOP budgets x DLM and AR, each token seen once. */
    static StudyPreset isoFlop(String name, String purpose, int vocabSize, int seqLen, String valTokens, List<String> models,
                               List<String> budgets, Map<String, String> train) {
        return new StudyPreset(name, purpose, vocabSize, seqLen, valTokens, models, List.of(), 0, 0, train, 1, budgets, List.of());
    }

    /** A study of training choices: experiments, each its own sweep over a few options, on shared training options. */
    static StudyPreset ablations(String name, String purpose, int vocabSize, int seqLen, String valTokens, Map<String, String> train,
                                 List<Experiment> experiments) {
        return new StudyPreset(name, purpose, vocabSize, seqLen, valTokens, List.of(), List.of(), 0, 0, train, 1, List.of(), experiments);
    }

    /** Whether this is a compute-constrained (IsoFLOP) study rather than a data-constrained one. */
    public boolean computeConstrained() {
        return !budgets.isEmpty();
    }

    /** Whether this is a study of training choices (Quokka's Section 5) rather than of a law. */
    public boolean ablation() {
        return !experiments.isEmpty();
    }

    /**
     * One question of a study of training choices: runs of {@code objectives} x {@code models} at U unique tokens for
     * e epochs, over the values of {@code axes} (`quokka train` options, their product), with {@code train} added to
     * the preset's options, compared by the axes (`quokka compare`), and held against Quokka's finding.
     *
     * @param seeds   how many seeds each cell runs (the preset's --seed and the ones after it)
     * @param check   how the comparison is read against Quokka's {@code claim}
     * @param subject the axis value the claim is about (the schedule that should win, the choice that should lose)
     * @param versus  the value it is held against, for {@link Check#WORSE} and {@link Check#FASTER_THEN_WORSE}
     */
    public record Experiment(String name, String question, String claim, Check check, String subject, String versus, List<String> objectives,
                             List<String> models, String uniqueTokens, double epochs, int seeds, Map<String, List<String>> axes,
                             Map<String, String> train) {
        public Experiment {
            if (axes.isEmpty()) throw new IllegalArgumentException(name + ": an experiment varies at least one option");
            if (seeds < 1) throw new IllegalArgumentException(name + ": seeds must be at least 1");
        }
    }

    /** How an experiment's comparison answers Quokka's claim. */
    public enum Check {
        /** The best value of a numeric axis for AR is within one grid step of the DLM's, at each size. */
        TRANSFERS,
        /** {@code subject} gives the DLM's lowest final loss. */
        BEST,
        /** {@code subject} gives the DLM a higher final loss than {@code versus}. */
        WORSE,
        /** {@code subject} is lower than {@code versus} at the first evaluation and higher at the end. */
        FASTER_THEN_WORSE,
        /** The change from the axis's first value to its last, for each objective; no claim to hold it against. */
        EFFECT
    }

    public static final Map<String, StudyPreset> ALL = new LinkedHashMap<>();

    static {
        // The demo grid: about 9 minutes on 2 cores, and long enough that AR overfits before e_max (BENCHMARKS.md).
        add(new StudyPreset("demo", "2 shapes x 2 unique budgets x DLM and AR, to 16 epochs (about 9 minutes on 2 cores)",
                2048, 32, "30k", List.of("48,2,2", "64,2,2"), List.of("40k", "100k"), 16, 0,
                train("1024", "3e-3", "3e-4", "128"), 1));
        // Five epochs, so that each run has four stable-phase boundaries: three runs still make a fit of 12 points.
        add(new StudyPreset("demo-quick", "a smoke test of every stage on a tiny grid (about a minute on 2 cores)",
                1024, 32, "10k", List.of("32,2,2", "48,2,2"), List.of("10k", "20k"), 5, 0,
                train("512", "3e-3", "3e-4", "32"), 1));
        add(new StudyPreset("cpu-small", "the qualitative finding on a CPU: 3 shapes x 3 unique budgets x DLM and AR, to 32 epochs (about 2 hours on 2 cores)",
                4096, 64, "100k", List.of("64,2,2", "96,2,2", "128,3,2"), List.of("50k", "100k", "200k"), 32, 0,
                train("2048", "3e-3", "3e-4", "128"), 1));
        // A study whose DLM runs turn on a CPU (BENCHMARKS.md, probes 2-5 and the cpu-turn runs): models large for
        // their data, a small vocabulary (every type seen often, a cheap output layer), U of 30k-40k tokens (below
        // about 30k the DLM memorises its data on the unigram plateau), a learning rate held after a fixed warmup and
        // no decay, so every epoch boundary is a stable-phase point and a run grows without a decay at every round.
        add(new StudyPreset("cpu-turn", "2 shapes of 0.9M-1.9M x U 30k-40k x DLM and AR, grown from 64 epochs up to 256 until they turn (about 3 hours on 2 cores)",
                512, 64, "50k", List.of("128,4,4", "192,4,4"), List.of("30k", "40k"), 64, 256, turning(), 1));
        // Compute-constrained (Quokka's Section 3): six sizes of 8k-240k non-embedding parameters at four budgets a
        // factor of 2.5 apart, each token seen once. A first grid (0.03M-0.43M at 8e10-1.25e12, BENCHMARKS.md) put the
        // DLM's minimum below its smallest size even at its largest budget, and its largest D used most of the
        // English corpora at V = 512 (10.6M tokens): so smaller sizes at smaller budgets. The largest D here is 8M.
        add(isoFlop("cpu-isoflop", "compute-constrained: 6 shapes of 8k-240k non-embedding parameters x 4 FLOP budgets of 2.5e10-4e11 x DLM "
                        + "and AR, each token once (about an hour on 2 cores)", 512, 64, "50k",
                List.of("16,2,2", "24,2,2", "32,2,2", "48,2,2", "64,2,2", "96,2,2"), List.of("2.5e10", "6e10", "1.5e11", "4e11"),
                isoFlopTrain("1024", "256")));
        add(isoFlop("isoflop-quick", "a smoke test of the compute-constrained stages on a tiny grid (about 2 minutes on 2 cores)", 1024, 32, "10k",
                List.of("32,2,2", "48,2,2", "64,2,2"), List.of("4e9", "1e10"), isoFlopTrain("512", "64")));
        // Quokka's grid shape: GPT-2's tokenizer, sequences of 2,048, 256 of them a step; sizes by the papers' N.
        add(new StudyPreset("cluster-small", "a cluster study: 4 shapes of 17M-124M x U 10M-100M, to 100 epochs (needs --tokenizer)",
                0, 2048, "10M", List.of("256,6,4", "384,8,6", "512,8,8", "768,12,12"), List.of("10M", "30M", "100M"), 100, 0,
                cluster(), 8));
        add(new StudyPreset("cluster-quokka", "Quokka's grid: 7 shapes of 17M-2.6B x U 10M-139M, to 1,000 epochs (needs --tokenizer)",
                0, 2048, "10M", List.of("256,6,4", "384,8,6", "512,8,8", "768,12,12", "1024,16,16", "1536,24,16", "2560,32,20"),
                List.of("10M", "20M", "50M", "100M", "139M"), 1000, 0, cluster(), 8));
    }

    static {
        // Quokka's modeling and optimisation studies (Section 5) at toy scale: 0.4M and 0.9M models on 1M tokens of
        // English at V = 512, each token once (but for weight decay's many-epoch half); cosine to a tenth of the
        // peak; 8 or so evaluations a run, so that the curves show who is ahead early. The 0.9M DLM leaves the
        // unigram plateau after about 0.4M tokens at this scale (BENCHMARKS.md, probe 2), so 1M tokens separate
        // choices that matter. Two seeds where the DLM's choices are compared with each other.
        String u = "1M";
        List<String> both = List.of("dlm", "ar"), dlm = List.of("dlm"), sizes = List.of("96,3,3", "128,4,4"), base = List.of("128,4,4");
        add(ablations("cpu-ablations", "Quokka's training choices at toy scale: learning rate and batch size for DLM and AR at two sizes, "
                        + "the two kernels, three schedules, ELBO against MaskGIT, weight decay in one and in many epochs (about 80 minutes on 2 cores)",
                512, 64, "50k", ablationTrain("2048", "64", "128"), List.of(
                        new Experiment("learning-rate", "Does the learning rate tuned for AR suit the DLM?",
                                "the learning rate transfers from AR to DLMs", Check.TRANSFERS, null, null, both, sizes, u, 1, 1,
                                Map.of("lr", List.of("1e-3", "3e-3", "1e-2")), Map.of()),
                        new Experiment("batch-size", "Does the batch size tuned for AR suit the DLM?",
                                "the batch size transfers from AR to DLMs", Check.TRANSFERS, null, null, both, sizes, u, 1, 1,
                                Map.of("batch-tokens", List.of("1024", "2048", "4096")), Map.of()),
                        new Experiment("kernel", "Absorbing mask or uniform transition kernel?", "the uniform kernel is clearly worse",
                                Check.WORSE, "uniform", "mask", dlm, base, u, 1, 2, Map.of("kernel", List.of("mask", "uniform")), Map.of()),
                        new Experiment("schedule", "Which diffusion schedule?", "the linear schedule is best", Check.BEST, "linear", null,
                                dlm, base, u, 1, 2, Map.of("mask-schedule", List.of("linear", "cosine", "poly2")), Map.of("weighting", "elbo")),
                        new Experiment("weighting", "The ELBO or MaskGIT's loss?", "MaskGIT's loss converges faster at first and ends worse",
                                Check.FASTER_THEN_WORSE, "maskgit", "elbo", dlm, base, u, 1, 2, Map.of("weighting", List.of("elbo", "maskgit")), Map.of()),
                        new Experiment("weight-decay-one-epoch", "Weight decay when every token is seen once?",
                                "weight decay and repetition together shape overfitting", Check.EFFECT, null, null, both, base, u, 1, 1,
                                Map.of("weight-decay", List.of("0", "0.1")), Map.of()),
                        new Experiment("weight-decay-many-epochs", "Weight decay over 10 epochs of 100k unique tokens?",
                                "weight decay and repetition together shape overfitting", Check.EFFECT, null, null, both, base, "100k", 10, 1,
                                Map.of("weight-decay", List.of("0", "0.1")), Map.of()))));
        add(ablations("ablations-quick", "a smoke test of the ablation stages on a tiny grid (about 2 minutes on 2 cores)", 1024, 32, "10k",
                ablationTrain("512", "8", "32"), List.of(
                        new Experiment("learning-rate", "Does the learning rate tuned for AR suit the DLM?", "the learning rate transfers from AR to DLMs",
                                Check.TRANSFERS, null, null, List.of("dlm", "ar"), List.of("32,2,2"), "20k", 1, 1,
                                Map.of("lr", List.of("1e-3", "1e-2")), Map.of()),
                        new Experiment("kernel", "Absorbing mask or uniform transition kernel?", "the uniform kernel is clearly worse",
                                Check.WORSE, "uniform", "mask", List.of("dlm"), List.of("32,2,2"), "20k", 1, 2,
                                Map.of("kernel", List.of("mask", "uniform")), Map.of()))));
    }

    /**
     * The ablations' shared options: cosine to a tenth of the peak over each run, warmup over 5% of its steps,
     * evaluations every {@code evalEvery} steps on {@code valSequences} windows.
     */
    private static Map<String, String> ablationTrain(String batchTokens, String evalEvery, String valSequences) {
        Map<String, String> t = new LinkedHashMap<>();
        t.put("batch-tokens", batchTokens);
        t.put("schedule", "cosine");
        t.put("lr", "3e-3");
        t.put("min-lr", "3e-4");
        t.put("warmup", "0.05");
        t.put("eval-every", evalEvery);
        t.put("val-sequences", valSequences);
        return t;
    }

    private static void add(StudyPreset p) {
        ALL.put(p.name(), p);
    }

    /**
     * The presets' training options. The warmup is left to the sweep (a quarter epoch of steps, whatever e_max is), so
     * every run can be extended. The stop rule ends a run whose loss has stayed more than 1% above its best for 3 epoch
     * boundaries: AR's loss, once it turns, rises by several percent an epoch (cpu-small: 5.58 at epoch 7, 9.0 by 55),
     * so it stops 3 epochs past its best instead of running 20 more; a run still improving, or wandering within the
     * evaluation's noise (its standard error is in eval.csv), is never stopped by three evaluations' chance.
     */
    private static Map<String, String> train(String batchTokens, String lr, String minLr, String valSequences) {
        Map<String, String> t = new LinkedHashMap<>();
        t.put("batch-tokens", batchTokens);
        t.put("lr", lr);
        t.put("min-lr", minLr);
        t.put("val-sequences", valSequences);
        t.put("stop-patience", "3");
        t.put("stop-margin", "0.01");
        return t;
    }

    /** A checkpoint per epoch would be 1,000 copies of a 2.6B model: every 1,000 steps instead. */
    private static Map<String, String> cluster() {
        Map<String, String> t = train("524288", "2e-4", "2e-5", "256");
        t.put("warmup-steps", "200"); // about 1% of a 100-epoch run at U = 10M
        t.put("checkpoint-epochs", "false");
        t.put("checkpoint-every", "1000");
        return t;
    }

    /**
     * cpu-turn's options. The DLM's loss on its flat bottom moves by about 1% between neighbouring epochs at a held
     * learning rate (probe 2: 4.152 at its best, 4.15-4.22 around it), so a patience of 3 at a 1% margin can fire on
     * those moves: 5 boundaries in a row more than 1% above the best is a rise that lasts. Checkpoints only where the
     * trainer needs them (the best epoch, the end): one per epoch would be hundreds per run.
     */
    private static Map<String, String> turning() {
        Map<String, String> t = train("2048", "3e-3", "3e-3", "128");
        t.put("warmup-steps", "50");
        t.put("decay", "0.0");
        t.put("stop-patience", "5");
        t.put("checkpoint-epochs", "false");
        return t;
    }

    /**
     * A compute-constrained study's options: cosine to a tenth of the peak over each run (the paper's compute-
     * constrained runs), a warmup of 5% of the steps so that a 30-step run still warms up over more than one, and
     * the final evaluation on {@code valSequences} sequences (4 t samples each for the DLM), the only point a run gives.
     */
    private static Map<String, String> isoFlopTrain(String batchTokens, String valSequences) {
        Map<String, String> t = new LinkedHashMap<>();
        t.put("batch-tokens", batchTokens);
        t.put("schedule", "cosine");
        t.put("lr", "3e-3");
        t.put("min-lr", "3e-4");
        t.put("warmup", "0.05");
        t.put("val-sequences", valSequences);
        return t;
    }

    public static StudyPreset named(String name) {
        StudyPreset p = ALL.get(name);
        if (p == null) throw new IllegalArgumentException("no preset '" + name + "' (presets: " + String.join(", ", ALL.keySet()) + ")");
        return p;
    }

    /**
     * The sweep spec of one experiment of a study of training choices: the experiment's grid, the preset's options
     * with the experiment's added (an option varied by the experiment is left out of them), seeds from {@code seed} on.
     */
    ObjectNode spec(String docs, String tokenizer, long seed, Experiment e) {
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        s.put("docs", docs);
        s.put("tokenizer", tokenizer);
        var seeds = s.putArray("seeds");
        for (int i = 0; i < e.seeds(); i++) seeds.add(seed + i);
        s.put("seq_len", seqLen);
        s.put("val_tokens", valTokens);
        ObjectNode grid = s.putObject("grid");
        e.objectives().forEach(grid.putArray("objectives")::add);
        e.models().forEach(grid.putArray("models")::add);
        grid.putArray("unique_tokens").add(e.uniqueTokens());
        grid.putArray("epochs").add(e.epochs());
        new java.util.TreeMap<>(e.axes()).forEach((option, values) -> values.forEach(grid.putArray(option)::add));
        ObjectNode t = s.putObject("train");
        train.forEach((k, v) -> {
            if (!e.axes().containsKey(k)) t.put(k, v);
        });
        e.train().forEach(t::put);
        s.putObject("resources").put("cpus", cpusPerRun).put("gpus", 0);
        return s;
    }

    /** The sweep spec of this grid over tokenized documents {@code docs}. */
    ObjectNode spec(String docs, String tokenizer, long seed) {
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        s.put("docs", docs);
        s.put("tokenizer", tokenizer);
        s.put("seed", seed);
        s.put("seq_len", seqLen);
        s.put("val_tokens", valTokens);
        ObjectNode grid = s.putObject("grid");
        grid.putArray("objectives").add("dlm").add("ar");
        models.forEach(grid.putArray("models")::add);
        if (computeConstrained()) {
            budgets.forEach(grid.putArray("budgets")::add);
        } else {
            uniqueTokens.forEach(grid.putArray("unique_tokens")::add);
            grid.put("e_max", eMax);
            if (growTo > 0) grid.put("extend_while_improving", growTo);
        }
        ObjectNode t = s.putObject("train");
        train.forEach(t::put);
        // One run per task, not batched: at the presets' shapes batched steps gain at most about 1.2x, and a whole sweep
        // in batches took as long as one run per task (BENCHMARKS.md, "Batched runs against one per task, end to end").
        s.putObject("resources").put("cpus", cpusPerRun).put("gpus", 0);
        return s;
    }
}
