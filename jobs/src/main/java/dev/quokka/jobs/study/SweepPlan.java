package dev.quokka.jobs.study;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.quokka.analysis.Quantities;
import dev.quokka.dataprep.shard.StudyConfig;
import dev.quokka.dataprep.tokenize.TokenizeConfig;
import dev.quokka.jobs.options.TrainOptions;
import dev.quokka.training.TrainConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import picocli.CommandLine;

/**
 * A sweep spec, expanded: one study per (U, seed), one epoch longer than the longest run on it (or than the cap to
 * which runs may be extended), and one run per objective x model x U x epochs x seed x the values of any option axes. Names follow from the settings
 * alone, so a rerun finds what an earlier one made: {@code studies/U1M-s1}, {@code runs/dlm-tiny-U1M-e16-s1}, or
 * {@code runs/dlm-tiny-U1M-s1} for a warmup-stable run to e_max, which keeps its name when it is extended.
 *
 * <p>Why the extra epoch: a study's last epoch is cut where its stream of round(U e) tokens ends, so its sequences
 * differ from the same epoch of a longer study. With one epoch to spare, every epoch a run trains is the same in any
 * longer study of the same settings, and the run can be extended onto one.
 *
 * <p>The spec, YAML or JSON:
 * <pre>
 * docs: tokenized/               # a complete `quokka tokenize` output; or, to tokenize first:
 * # corpus: {input: [books/], format: text}   with tokenizer: tokenizer.json
 * seed: 1                        # or seeds: [1, 2]; orders the study and seeds the runs
 * seq_len: 128
 * val_fraction: 0.01             # or val_tokens: 200000
 * grid:
 *   objectives: [dlm, ar]
 *   models: [tiny, "96,2,2"]     # presets or d,layers,heads
 *   unique_tokens: [1M, 4M]
 *   epochs: [1, 4, 16]           # one run per e; or e_max: 16 for one warmup-stable run per cell,
 *                                # evaluated and checkpointed at every epoch (warmup: a quarter epoch of
 *                                # steps unless set), and extend_while_improving: 256 to grow such runs;
 *                                # or, for a compute-constrained study, budgets: [3e12, 1e13] instead of
 *                                # unique_tokens and epochs: one run per (budget, model) on D = C / 6N tokens
 *   weight-decay: [0, 0.1]       # any `quokka train` option is an axis: the runs are the product of all axes
 *   zip: {lr: [1e-3, 3e-3], batch-tokens: [2048, 8192]}   # options varied together, value by value
 * train: {schedule: wsd}         # `quokka train` options by their long names, the same for every run
 * resources: {cpus: 1, gpus: 0}  # per task: spark.task.cpus and spark.task.resource.gpu.amount; batch_runs: K
 *                                # trains up to K runs of equal length in each task, as one batched graph
 *                                # ({@link #batchKey}); batch_runs: auto chooses K for each shape by timing
 * </pre>
 * Every run's config is built by {@code quokka train}'s own option parser, so a bad option fails here, on the driver,
 * before anything is trained.
 */
public record SweepPlan(JsonNode spec, Corpus corpus, String docs, List<Study> studies, List<Run> runs, int cpus, double gpus, double extendCap,
                        int batchRuns, Map<String, Integer> batchSizes) {
    /** {@code batchRuns} when K is chosen for each shape by timing ({@link BatchChoice}): {@code batch_runs: auto}. */
    public static final int AUTO = 0;

    /** A plan whose batches are not chosen yet. */
    public SweepPlan(JsonNode spec, Corpus corpus, String docs, List<Study> studies, List<Run> runs, int cpus, double gpus, double extendCap, int batchRuns) {
        this(spec, corpus, docs, studies, runs, cpus, gpus, extendCap, batchRuns, Map.of());
    }

    /** Raw text to tokenize into {@code docs} before the studies are made. */
    record Corpus(TokenizeConfig config) {}

    /** A study to prepare, or to reuse when a complete one with the same settings exists. */
    public record Study(String name, StudyConfig config) {}

    /**
     * A training run of the sweep.
     *
     * @param epochs the e it trains for; with {@code toMax}, the e_max it runs to, evaluated at every epoch
     */
    public record Run(String name, String objective, String model, long uniqueTokens, double epochs, boolean toMax, long seed,
               String study, TrainConfig config, Map<String, String> axes) {
        /** A run of the grid's own axes only. */
        Run(String name, String objective, String model, long uniqueTokens, double epochs, boolean toMax, long seed, String study, TrainConfig config) {
            this(name, objective, model, uniqueTokens, epochs, toMax, seed, study, config, Map.of());
        }

        /** 6 N D with the embedding left out: enough to start the longest runs first. */
        double cost() {
            return config.shape(1).trainingFlops(Math.round(uniqueTokens * epochs));
        }
    }

    private static final Set<String> FIELDS = Set.of("docs", "corpus", "tokenizer", "seed", "seeds", "seq_len", "val_fraction", "val_tokens",
            "grid", "train", "resources");
    private static final List<String> SET_PER_RUN = List.of("study", "output", "objective", "model", "epochs", "seed", "resume",
            "stop-after", "anneal-from", "anneal-steps");
    /** A sweep runs each run as one Spark task; a data-parallel run is a job of its own. */
    private static final List<String> NOT_IN_SWEEPS = List.of("data-parallel", "averaging-frequency", "batch-per-worker", "prefetch");

    /**
     * Reads a spec (YAML, of which JSON is a subset); {@code source} names it in errors, {@code resolve} makes the
     * paths it names absolute.
     */
    public static SweepPlan parse(String text, String source, String output, UnaryOperator<String> resolve) {
        return parse(text, source, output, resolve, 0);
    }

    /** As {@link #parse}; {@code extendCap}, when positive, replaces the grid's {@code extend_while_improving}. */
    public static SweepPlan parse(String text, String source, String output, UnaryOperator<String> resolve, double extendCap) {
        JsonNode spec;
        try {
            spec = new YAMLMapper().readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + ": not YAML or JSON: " + e.getOriginalMessage());
        }
        if (spec == null || !spec.isObject()) throw new IllegalArgumentException(source + ": a sweep spec is a map of settings");
        try {
            return expand(spec, output, resolve, extendCap);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    private static SweepPlan expand(JsonNode spec, String output, UnaryOperator<String> resolve, double capOption) {
        for (Iterator<String> it = spec.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) throw new IllegalArgumentException("unknown setting '" + f + "' (known: " + String.join(", ", new java.util.TreeSet<>(FIELDS)) + ")");
        }
        String tokenizer = spec.hasNonNull("tokenizer") ? resolve.apply(spec.get("tokenizer").asText()) : null;
        Corpus corpus = null;
        String docs;
        if (spec.hasNonNull("corpus") == spec.hasNonNull("docs")) throw new IllegalArgumentException("give either 'docs' or 'corpus'");
        if (spec.hasNonNull("corpus")) {
            if (tokenizer == null) throw new IllegalArgumentException("'corpus' needs a 'tokenizer' to tokenize it with");
            docs = output + "/docs";
            corpus = new Corpus(corpusConfig(spec.get("corpus"), tokenizer, docs, resolve));
        } else {
            docs = resolve.apply(spec.get("docs").asText());
        }
        List<Long> seeds = seeds(spec);
        int seqLen = Math.toIntExact(integer(required(spec, "seq_len"), "seq_len"));
        long valTokens = spec.has("val_tokens") ? Math.round(Quantities.parse(spec.get("val_tokens").asText())) : 0;
        double valFraction = valTokens > 0 ? 0 : spec.path("val_fraction").asDouble(0.01);
        Grid g = Grid.of(required(spec, "grid"), capOption);
        Map<String, String> base = trainOptions(spec, g.toMax());
        for (Map<String, String> variant : g.variants()) {
            for (String option : variant.keySet()) {
                checkTrainOption(option, "grid." + option);
                if (base.containsKey(option)) throw new IllegalArgumentException("grid." + option + " is an axis of the grid; leave it out of 'train'");
            }
        }

        Map<String, Study> studies = new LinkedHashMap<>();
        List<Run> runs = new ArrayList<>();
        for (Map<String, String> variant : g.variants()) {
            try {
                variantRuns(g, base, variant, seeds, docs, output, seqLen, valFraction, valTokens, tokenizer, studies, runs);
            } catch (IllegalArgumentException e) {
                if (variant.isEmpty()) throw e;
                throw new IllegalArgumentException("grid values " + variant + ": " + e.getMessage(), e);
            }
        }
        long distinct = runs.stream().map(Run::name).distinct().count();
        if (distinct != runs.size()) throw new IllegalArgumentException("the grid repeats a run (names collide): " + runs.size() + " runs, " + distinct + " names");

        JsonNode resources = spec.path("resources");
        int cpus = resources.path("cpus").asInt(1);
        double gpus = resources.path("gpus").asDouble(0);
        if (cpus <= 0 || gpus < 0 || gpus > 1) throw new IllegalArgumentException("resources: cpus must be >= 1 and gpus in [0, 1] (one GPU, or a share of one, per run)");
        JsonNode batchRuns = resources.path("batch_runs");
        int batch = batchRuns.isMissingNode() ? 1 : batchRuns(batchRuns.isTextual() ? batchRuns.asText() : batchRuns.toString(), "resources.batch_runs");
        return new SweepPlan(spec, corpus, docs, List.copyOf(studies.values()), List.copyOf(runs), cpus, gpus, g.cap(), batch);
    }

    /** The runs of one combination of the grid's option axes (and the studies they read). */
    private static void variantRuns(Grid g, Map<String, String> base, Map<String, String> variant, List<Long> seeds, String docs, String output,
                                    int seqLen, double valFraction, long valTokens, String tokenizer, Map<String, Study> studies, List<Run> runs) {
        Map<String, String> train = new TreeMap<>(base);
        train.putAll(variant);
        String tag = tag(variant);
        if (g.budgets() != null) {
            budgetRuns(g, train, variant, tag, seeds, docs, output, seqLen, valFraction, valTokens, tokenizer, studies, runs);
            return;
        }
        for (long seed : seeds) {
            for (long u : g.us()) {
                String study = "U" + label(u) + "-s" + seed;
                studies.put(study, new Study(study, new StudyConfig(docs, output + "/studies/" + study, u, g.studyEpochs(), seqLen, seed,
                        valFraction, valTokens, false, false)));
                for (String objective : g.objectives()) {
                    for (String model : g.models()) {
                        for (double e : g.epochs()) {
                            String name = objective + "-" + model.replace(" ", "").replace(',', 'x') + "-U" + label(u)
                                    + (g.toMax() ? "" : "-e" + label(e)) + tag + "-s" + seed;
                            TrainConfig cfg = trainConfig(train, output + "/studies/" + study, output + "/runs/" + name, objective, model,
                                    e, seed, tokenizer);
                            if (g.toMax() && !train.containsKey("warmup") && !train.containsKey("warmup-steps")) {
                                // A fixed number of steps, so that the schedule before the decay does not depend on e_max.
                                cfg = cfg.withWarmupSteps(Math.max(1, Math.round(0.25 * u / cfg.batchTokens())));
                            }
                            runs.add(new Run(name, objective, model, u, e, g.toMax(), seed, study, cfg, variant));
                        }
                    }
                }
            }
        }
    }

    /**
     * A compute-constrained grid: for each budget C and model of N parameters (the papers' N without the embedding,
     * as compute-constrained fits count it), one run on D = C / (6 N) tokens rounded to whole steps, each seen once.
     * All runs of a seed read prefixes of one study whose U is the largest D, so they see the same tokens in the same
     * order as far as each goes; a run under one step is refused, not dropped. Named as Quokka's released runs,
     * {@code {FLOPs}_{N}_{D}}: {@code dlm-3e12_1.2M_417k-s1}.
     */
    private static void budgetRuns(Grid g, Map<String, String> train, Map<String, String> variant, String tag, List<Long> seeds, String docs,
                                   String output, int seqLen, double valFraction, long valTokens, String tokenizer, Map<String, Study> studies,
                                   List<Run> runs) {
        record Planned(String objective, String model, long n, double budget, long tokens) {}
        List<Planned> planned = new ArrayList<>();
        for (String objective : g.objectives()) {
            for (String model : g.models()) {
                TrainConfig probe = trainConfig(train, "study", "run", objective, model, 1, 0, tokenizer);
                long n = probe.shape(1).papersNonEmbeddingParameters();
                for (double c : g.budgets()) {
                    long steps = Math.round(c / (6.0 * n) / probe.batchTokens());
                    if (steps < 1) {
                        throw new IllegalArgumentException(String.format("grid.budgets: %s FLOPs give model %s (N = %s) D = %s tokens, under one step of "
                                + "%d tokens", flops(c), model, Quantities.format(n), Quantities.format(c / (6.0 * n)), probe.batchTokens()));
                    }
                    planned.add(new Planned(objective, model, n, c, steps * probe.batchTokens()));
                }
            }
        }
        long u = planned.stream().mapToLong(Planned::tokens).max().orElseThrow();
        for (long seed : seeds) {
            String study = "U" + label(u) + "-s" + seed;
            studies.put(study, new Study(study, new StudyConfig(docs, output + "/studies/" + study, u, 1, seqLen, seed, valFraction, valTokens,
                    false, false)));
            for (Planned p : planned) {
                String name = p.objective() + "-" + flops(p.budget()) + "_" + Quantities.format(p.n()) + "_" + Quantities.format(p.tokens()) + tag + "-s" + seed;
                double e = (double) p.tokens() / u;
                TrainConfig cfg = trainConfig(train, output + "/studies/" + study, output + "/runs/" + name, p.objective(), p.model(), e, seed, tokenizer);
                runs.add(new Run(name, p.objective(), p.model(), u, e, false, seed, study, cfg, variant));
            }
        }
    }

    /** A FLOP count as its shortest exact scientific form: 3e12, 1.5e13. */
    static String flops(double c) {
        return new java.math.BigDecimal(Double.toString(c)).stripTrailingZeros().toString().replace("E+", "e").replace("E", "e");
    }

    private static List<Long> seeds(JsonNode spec) {
        List<Long> seeds = new ArrayList<>();
        if (spec.has("seeds")) {
            if (spec.has("seed")) throw new IllegalArgumentException("give 'seed' or 'seeds', not both");
            for (JsonNode s : nonEmptyList(spec.get("seeds"), "seeds")) seeds.add(integer(s, "seeds"));
        } else {
            seeds.add(spec.has("seed") ? integer(spec.get("seed"), "seed") : 0);
        }
        return seeds;
    }

    /**
     * The spec's grid: its axes, whether each run goes to e_max (one warmup-stable run per cell, evaluated at every
     * epoch) or to each of a list of epochs, and the cap runs grow to while improving (0: none).
     */
    private record Grid(List<String> objectives, List<String> models, List<Long> us, List<Double> epochs, boolean toMax, double cap,
                        List<Double> budgets, List<Map<String, String>> variants) {
        /** The grid's own axes; any other key is a `quokka train` option to vary, or {@code zip}, several varied together. */
        static final Set<String> AXES = Set.of("objectives", "models", "unique_tokens", "epochs", "e_max", "extend_while_improving", "budgets", "zip");

        static Grid of(JsonNode grid, double capOption) {
            Grid g = axes(grid, capOption);
            return new Grid(g.objectives, g.models, g.us, g.epochs, g.toMax, g.cap, g.budgets, variants(grid));
        }

        /**
         * The product of the option axes: one map of option to value per combination, the first axis varying slowest;
         * one empty map when no option is varied. A {@code zip} axis, {@code zip: {lr: [1e-3, 3e-3], warmup-steps:
         * [100, 50]}}, takes its lists' i-th values together.
         */
        static List<Map<String, String>> variants(JsonNode grid) {
            List<List<Map<String, String>>> axes = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = grid.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                if (f.getKey().equals("zip")) {
                    axes.add(zip(f.getValue()));
                } else if (!AXES.contains(f.getKey())) {
                    List<Map<String, String>> axis = new ArrayList<>();
                    for (JsonNode v : nonEmptyList(f.getValue(), "grid." + f.getKey())) axis.add(Map.of(f.getKey(), optionValue(v)));
                    axes.add(axis);
                }
            }
            List<Map<String, String>> product = List.of(new java.util.LinkedHashMap<>());
            for (List<Map<String, String>> axis : axes) {
                List<Map<String, String>> next = new ArrayList<>();
                for (Map<String, String> p : product) {
                    for (Map<String, String> v : axis) {
                        Map<String, String> m = new LinkedHashMap<>(p);
                        for (String k : v.keySet()) {
                            if (m.containsKey(k)) throw new IllegalArgumentException("grid: '" + k + "' is varied twice (as an axis and in zip)");
                        }
                        m.putAll(v);
                        next.add(m);
                    }
                }
                product = next;
            }
            return product.stream().map(java.util.Collections::unmodifiableMap).toList();
        }

        private static List<Map<String, String>> zip(JsonNode zip) {
            if (!zip.isObject() || zip.isEmpty()) throw new IllegalArgumentException("grid.zip must map options to lists of equal length");
            int length = -1;
            List<Map<String, String>> rows = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = zip.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                if (AXES.contains(f.getKey())) throw new IllegalArgumentException("grid.zip." + f.getKey() + ": zip varies train options, not the grid's own axes");
                List<JsonNode> values = nonEmptyList(f.getValue(), "grid.zip." + f.getKey());
                if (length >= 0 && values.size() != length) {
                    throw new IllegalArgumentException("grid.zip: '" + f.getKey() + "' has " + values.size() + " values, the lists before it " + length);
                }
                length = values.size();
                for (int i = 0; i < length; i++) {
                    if (rows.size() <= i) rows.add(new LinkedHashMap<>());
                    rows.get(i).put(f.getKey(), optionValue(values.get(i)));
                }
            }
            return rows;
        }

        private static Grid axes(JsonNode grid, double capOption) {
            List<String> objectives = strings(required(grid, "objectives"), "grid.objectives");
            for (String o : objectives) {
                if (!o.equals("dlm") && !o.equals("ar")) throw new IllegalArgumentException("grid.objectives: '" + o + "' is not dlm or ar");
            }
            List<String> models = strings(required(grid, "models"), "grid.models");
            if (grid.has("budgets")) {
                for (String axis : List.of("unique_tokens", "epochs", "e_max", "extend_while_improving")) {
                    if (grid.has(axis)) throw new IllegalArgumentException("grid: 'budgets' sets each run's tokens (D = C / 6N, seen once); leave out '" + axis + "'");
                }
                if (capOption > 0) throw new IllegalArgumentException("--extend-while-improving grows runs to e_max; a grid of budgets has none");
                List<Double> budgets = new ArrayList<>();
                for (String c : strings(grid.get("budgets"), "grid.budgets")) {
                    double v = Quantities.parse(c);
                    if (!(v > 0) || Double.isInfinite(v)) throw new IllegalArgumentException("grid.budgets: '" + c + "' is not a positive number of FLOPs");
                    budgets.add(v);
                }
                return new Grid(objectives, models, List.of(), List.of(), false, 0, budgets, null);
            }
            List<Long> us = new ArrayList<>();
            for (String u : strings(required(grid, "unique_tokens"), "grid.unique_tokens")) us.add(Math.round(Quantities.parse(u)));
            boolean toMax = grid.has("e_max");
            if (toMax == grid.has("epochs")) throw new IllegalArgumentException("grid: give either 'epochs' (a list) or 'e_max'");
            List<Double> epochs = new ArrayList<>();
            for (JsonNode e : toMax ? List.of(grid.get("e_max")) : nonEmptyList(grid.get("epochs"), "grid.epochs")) {
                if (!e.isNumber() || !(e.asDouble() > 0)) throw new IllegalArgumentException("grid." + (toMax ? "e_max" : "epochs") + ": " + e + " is not a positive number");
                epochs.add(e.asDouble());
            }
            double cap = capOption > 0 ? capOption : grid.path("extend_while_improving").asDouble(0);
            if (cap < 0 || (cap > 0 && !toMax)) throw new IllegalArgumentException("extend_while_improving grows runs to e_max: it needs 'e_max', and a positive cap");
            if (cap > 0 && cap < longest(epochs)) throw new IllegalArgumentException("extend_while_improving " + cap + " is below e_max " + longest(epochs));
            return new Grid(objectives, models, us, epochs, toMax, cap, null, null);
        }

        private static double longest(List<Double> epochs) {
            return epochs.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        }

        /** A study one epoch longer than the longest run or the cap: the last epoch of a study's stream is cut short. */
        double studyEpochs() {
            return Math.ceil(Math.max(longest(epochs), cap)) + 1;
        }
    }

    /** The spec's {@code train} options, each checked to be a {@code quokka train} option a sweep may set. */
    private static Map<String, String> trainOptions(JsonNode spec, boolean toMax) {
        Map<String, String> train = new TreeMap<>();
        spec.path("train").fields().forEachRemaining(f -> train.put(f.getKey(), optionValue(f.getValue())));
        for (String option : train.keySet()) checkTrainOption(option, "train." + option);
        if (toMax) {
            train.putIfAbsent("schedule", "wsd");
            train.putIfAbsent("checkpoint-epochs", "true");
        }
        return train;
    }

    /** Refuses what is not a `quokka train` option, or is one the sweep sets for each run itself. */
    private static void checkTrainOption(String option, String where) {
        if (SET_PER_RUN.contains(option)) throw new IllegalArgumentException(where + " is set by the sweep for each run");
        if (NOT_IN_SWEEPS.contains(option)) {
            throw new IllegalArgumentException(where + ": a sweep trains each run as one Spark task; train data-parallel runs with quokka train --data-parallel");
        }
        if (TRAIN_OPTIONS.findOption("--" + option) == null) {
            String axes = where.startsWith("grid.") ? " nor an axis of the grid (" + String.join(", ", new java.util.TreeSet<>(Grid.AXES)) + ")" : "";
            throw new IllegalArgumentException(where + " is not a quokka train option" + axes + " (see quokka train --help)");
        }
    }

    private static final CommandLine.Model.CommandSpec TRAIN_OPTIONS = new CommandLine(new TrainOptions()).getCommandSpec();

    /**
     * The varied options in a run's name, each as {@code -OPTIONvalue} in the grid's order, with what a path may not
     * hold replaced: {@code -lr3e-3-weight-decay0.1}, {@code -curriculum0.2_0.5_0.1}.
     */
    static String tag(Map<String, String> variant) {
        StringBuilder s = new StringBuilder();
        variant.forEach((k, v) -> s.append('-').append(k).append(v.replaceAll("[^A-Za-z0-9.+-]", "_")));
        return s.toString();
    }

    /**
     * A batch size as written: a number K of at least 1 (1: one run per task) or {@code auto} ({@link #AUTO}).
     *
     * @param where the option or field, for the message
     */
    public static int batchRuns(String value, String where) {
        if (value.equals("auto")) return AUTO;
        try {
            int k = Integer.parseInt(value);
            if (k >= 1) return k;
        } catch (NumberFormatException e) {
            // the message below
        }
        throw new IllegalArgumentException(where + " must be a whole number of runs of at least 1 (1: one run per task) or auto, not " + value);
    }

    /** This plan with up to {@code k} runs in each task, or {@link #AUTO} (the spec's {@code resources.batch_runs} otherwise). */
    public SweepPlan withBatchRuns(int k) {
        if (k < 1 && k != AUTO) throw new IllegalArgumentException("--batch-runs must be at least 1 (1: one run per task) or auto, not " + k);
        return new SweepPlan(spec, corpus, docs, studies, runs, cpus, gpus, extendCap, k, Map.of());
    }

    /** This plan with K chosen for each shape ({@link #shapeKey}; 1 where absent): what {@link BatchChoice} found. */
    public SweepPlan withBatchSizes(Map<String, Integer> sizes) {
        return new SweepPlan(spec, corpus, docs, studies, runs, cpus, gpus, extendCap, batchRuns, Map.copyOf(sizes));
    }

    /** Up to how many runs of this config's shape share a task: K, or under auto what was chosen for the shape. */
    public int batchRunsFor(TrainConfig c) {
        return batchRuns != AUTO ? batchRuns : batchSizes.getOrDefault(shapeKey(c), 1);
    }

    /** A sweep task: one run, or runs trained as one batched graph (then even a batch of one trains on the batched engine). */
    public record Task<W>(List<W> runs, boolean batched) {}

    /**
     * The tasks of {@code work}, in its order: one run each where K is 1; else up to K runs that share a
     * {@link #batchKey}, batched even alone, but for runs the batched engine cannot train ({@link #batchable}), which
     * go alone.
     */
    public <W> List<Task<W>> tasks(List<W> work, java.util.function.Function<W, TrainConfig> config) {
        List<Task<W>> tasks = new ArrayList<>();
        Map<String, List<W>> open = new LinkedHashMap<>();
        for (W w : work) {
            TrainConfig c = config.apply(w);
            int k = batchRunsFor(c);
            if (k == 1 || !batchable(c)) {
                tasks.add(new Task<>(List.of(w), false));
                continue;
            }
            List<W> group = open.computeIfAbsent(batchKey(c), key -> {
                List<W> fresh = new ArrayList<>();
                tasks.add(new Task<>(fresh, true));
                return fresh;
            });
            group.add(w);
            if (group.size() == k) open.remove(batchKey(c));
        }
        return tasks;
    }

    /** What runs of one batched graph must share: model and batch size (runs of one sweep share the sequence length). */
    public static String shapeKey(TrainConfig c) {
        return c.model() + "/" + c.batchTokens();
    }

    /**
     * What runs batched together share: their shape, and their length (study and epochs), since a run that has ended
     * keeps its slot of the batched step until the batch ends. Under a stop rule also their objective: AR runs stop
     * far sooner than DLM runs (BENCHMARKS.md, the rules on cpu-small), so an AR run would leave a DLM run's batch
     * with an idle slot.
     */
    public static String batchKey(TrainConfig c) {
        return shapeKey(c) + "/" + c.study() + "/" + c.epochs() + (c.stop() != null ? "/" + c.objective() : "");
    }

    /** Whether the batched engine trains this run: it computes the weighted cross-entropy only (not the uniform kernel's ELBO). */
    public static boolean batchable(TrainConfig c) {
        return c.loss() == dev.quokka.training.Objective.Loss.CROSS_ENTROPY;
    }

    /** The part of the sweep whose run names match; the studies those runs need. */
    public SweepPlan only(java.util.regex.Pattern names) {
        List<Run> kept = runs.stream().filter(r -> names.matcher(r.name()).find()).toList();
        if (kept.isEmpty()) throw new IllegalArgumentException("no run of the sweep matches " + names);
        Set<String> needed = new java.util.HashSet<>(kept.stream().map(Run::study).toList());
        return new SweepPlan(spec, corpus, docs, studies.stream().filter(s -> needed.contains(s.name())).toList(), kept, cpus, gpus, extendCap, batchRuns, batchSizes);
    }

    /** The runs, longest first: a greedy schedule that way ends soonest. */
    public List<Run> longestFirst() {
        return runs.stream().sorted(Comparator.comparingDouble(Run::cost).reversed().thenComparing(Run::name)).toList();
    }

    private static TrainConfig trainConfig(Map<String, String> train, String study, String output, String objective, String model,
                                           double epochs, long seed, String tokenizer) {
        List<String> args = new ArrayList<>(List.of("--study", study, "--output", output, "--objective", objective, "--model", model,
                "--epochs", Double.toString(epochs), "--seed", Long.toString(seed)));
        if (tokenizer != null && !train.containsKey("tokenizer")) args.addAll(List.of("--tokenizer", tokenizer));
        train.forEach((k, v) -> {
            if (v.equals("false")) return;
            args.add("--" + k);
            if (!v.equals("true")) args.add(v);
        });
        TrainOptions options = new TrainOptions();
        try {
            new CommandLine(options).parseArgs(args.toArray(String[]::new));
            return options.config();
        } catch (CommandLine.ParameterException e) {
            throw new IllegalArgumentException("train: " + e.getMessage() + " (see quokka train --help)");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("train: " + e.getMessage());
        }
    }

    private static TokenizeConfig corpusConfig(JsonNode corpus, String tokenizer, String docs, UnaryOperator<String> resolve) {
        JsonNode in = corpus.isTextual() ? corpus : required(corpus, "input");
        List<String> inputs = (in.isTextual() ? List.of(in.asText()) : strings(in, "corpus.input")).stream().map(resolve).toList();
        String format = corpus.path("format").asText("lines");
        TokenizeConfig.Format f;
        try {
            f = TokenizeConfig.Format.valueOf(format.toUpperCase());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("corpus.format: '" + format + "' is not text, lines, jsonl or parquet");
        }
        return new TokenizeConfig(inputs, f, corpus.path("text_field").asText("text"), corpus.path("paragraphs").asBoolean(false),
                tokenizer, docs, corpus.path("lenient").asBoolean(false), false, TokenizeConfig.DEFAULT_MAX_DOCUMENT_BYTES);
    }

    /** 1M, 60k or 2.5 when that says the number exactly; the digits otherwise. */
    public static String label(double v) {
        String s = Quantities.format(v);
        return Quantities.parse(s) == v ? s : (v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v));
    }

    private static String optionValue(JsonNode v) {
        if (v.isArray()) {
            List<String> parts = new ArrayList<>();
            v.forEach(x -> parts.add(x.asText()));
            return String.join(",", parts);
        }
        return v.asText();
    }

    private static long integer(JsonNode n, String field) {
        if (!n.canConvertToExactIntegral() && !(n.isTextual() && n.asText().matches("-?[0-9]+"))) {
            throw new IllegalArgumentException(field + ": " + n + " is not an integer");
        }
        return n.asLong();
    }

    private static JsonNode required(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) throw new IllegalArgumentException("the sweep spec has no '" + field + "'");
        return v;
    }

    private static List<JsonNode> nonEmptyList(JsonNode array, String where) {
        if (!array.isArray() || array.isEmpty()) throw new IllegalArgumentException(where + " must be a non-empty list");
        List<JsonNode> out = new ArrayList<>();
        array.forEach(out::add);
        return out;
    }

    private static List<String> strings(JsonNode array, String where) {
        return nonEmptyList(array, where).stream().map(JsonNode::asText).toList();
    }
}
