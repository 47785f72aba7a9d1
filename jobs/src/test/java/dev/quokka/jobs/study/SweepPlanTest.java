package dev.quokka.jobs.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quokka.jobs.study.SweepPlan;
import dev.quokka.training.TrainConfig;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** A sweep spec expands into studies and runs named by their settings, with `quokka train`'s own option parsing. */
class SweepPlanTest {
    static final String YAML = """
            docs: tok/
            seed: 1
            seq_len: 64
            grid:
              objectives: [dlm, ar]
              models: [tiny, "32,2,2"]
              unique_tokens: [1M, 4M]
              epochs: [1, 4, 16]
            train: {batch-tokens: 2048, schedule: wsd, checkpoint-epochs: true, lr: 3e-3}
            """;
    static final UnaryOperator<String> ABS = p -> "/abs/" + p;

    static SweepPlan parse(String spec) {
        return SweepPlan.parse(spec, "sweep.yaml", "/out", ABS);
    }

    @Test
    void theGridExpandsIntoOneStudyPerUniqueBudgetAndOneRunPerCell() {
        SweepPlan plan = parse(YAML);
        assertEquals(List.of("U1M-s1", "U4M-s1"), plan.studies().stream().map(SweepPlan.Study::name).toList());
        assertEquals(17.0, plan.studies().get(0).config().epochs(), "a study is an epoch longer than the longest run on it");
        assertEquals(4_000_000, plan.studies().get(1).config().uniqueTokens());
        assertEquals("/abs/tok/", plan.studies().get(1).config().docs());
        assertEquals("/out/studies/U4M-s1", plan.studies().get(1).config().output());
        assertEquals(2 * 2 * 2 * 3, plan.runs().size());

        SweepPlan.Run first = plan.runs().get(0);
        assertEquals("dlm-tiny-U1M-e1-s1", first.name());
        TrainConfig c = first.config();
        assertEquals("/out/studies/U1M-s1", c.study());
        assertEquals("/out/runs/dlm-tiny-U1M-e1-s1", c.output());
        assertEquals(2048, c.batchTokens());
        assertEquals(3e-3, c.schedule().lr());
        assertEquals("wsd", c.schedule().shape());
        assertTrue(c.checkpoints().epochs());
        assertEquals(1, c.seed());
        assertEquals(1.0, c.epochs());
        assertEquals(2e-5, c.schedule().minLr(), "what the spec leaves out is quokka train's default");
        assertTrue(plan.runs().stream().anyMatch(r -> r.name().equals("ar-32x2x2-U4M-e16-s1") && r.config().objective().equals("ar")));
        assertEquals("ar-tiny-U4M-e16-s1", plan.longestFirst().get(0).name(), "the costliest run is scheduled first");
    }

    /**
     * A compute-constrained grid: one run per (budget, model) on D = C / 6N tokens in whole steps, all reading
     * prefixes of one study whose U is the largest D, named as Quokka's released runs.
     */
    @Test
    void budgetsGiveOneRunPerBudgetAndModelOnItsShareOfTheTokens() {
        SweepPlan plan = parse("""
                docs: tok/
                seed: 1
                seq_len: 64
                grid:
                  objectives: [dlm]
                  models: ["32,2,2", "64,2,2"]
                  budgets: [3e12, 1e13]
                train: {batch-tokens: 2048, lr: 3e-3}
                """);
        assertEquals(4, plan.runs().size());
        long maxD = 0;
        for (SweepPlan.Run r : plan.runs()) {
            long n = r.config().shape(1).papersNonEmbeddingParameters();
            double budget = r.name().contains("-3e12_") ? 3e12 : 1e13;
            double d = r.uniqueTokens() * r.epochs();
            assertEquals(0, Math.round(d) % 2048, r.name() + ": whole steps");
            assertEquals(budget / (6.0 * n), d, 1024, r.name() + ": D = C / 6N to the nearest step");
            assertTrue(r.epochs() <= 1, "each token seen at most once");
            assertTrue(!r.config().schedule().shape().equals("wsd"), "quokka train's schedule, decaying to the end");
            maxD = Math.max(maxD, Math.round(d));
        }
        assertEquals(1, plan.studies().size());
        assertEquals(maxD, plan.studies().get(0).config().uniqueTokens(), "U is the largest run's D");
        assertEquals(1.0, plan.studies().get(0).config().epochs());
        long n = plan.runs().get(0).config().shape(1).papersNonEmbeddingParameters();
        assertTrue(plan.runs().get(0).name().matches("dlm-3e12_[0-9.]+k_[0-9.]+[kM]-s1"), plan.runs().get(0).name() + " (N = " + n + ")");

        assertTrue(message("""
                docs: tok/
                seq_len: 64
                grid: {objectives: [dlm], models: ["64,2,2"], budgets: [1e8]}
                train: {batch-tokens: 2048}
                """).contains("under one step of 2048 tokens"));
        assertTrue(message("""
                docs: tok/
                seq_len: 64
                grid: {objectives: [dlm], models: ["64,2,2"], budgets: [1e13], unique_tokens: [1M]}
                """).contains("leave out 'unique_tokens'"));
    }

    @Test
    void jsonSpecsAndRunsToEMaxWork() {
        SweepPlan plan = parse("""
                {"docs": "d", "seeds": [1, 2], "seq_len": 32, "val_tokens": "10k",
                 "grid": {"objectives": ["ar"], "models": ["tiny"], "unique_tokens": [60000], "e_max": 8},
                 "resources": {"cpus": 2}}
                """);
        assertEquals(List.of("ar-tiny-U60k-s1", "ar-tiny-U60k-s2"), plan.runs().stream().map(SweepPlan.Run::name).toList(),
                "a run to e_max is named without it: it keeps its name when it is extended");
        TrainConfig c = plan.runs().get(1).config();
        assertEquals("wsd", c.schedule().shape(), "a run to e_max is warmup-stable");
        assertTrue(c.checkpoints().epochs(), "and checkpointed at every epoch, to anneal from");
        assertEquals(0, c.schedule().warmup());
        assertEquals(Math.round(0.25 * 60_000 / c.batchTokens()), c.schedule().warmupSteps(), "its warmup is a quarter epoch of steps, whatever e_max is");
        assertEquals(9.0, plan.studies().get(0).config().epochs());

        SweepPlan grown = parse("""
                {"docs": "d", "seq_len": 32, "val_tokens": "10k",
                 "grid": {"objectives": ["ar"], "models": ["tiny"], "unique_tokens": [60000], "e_max": 8, "extend_while_improving": 64}}
                """);
        assertEquals(64, grown.extendCap());
        assertEquals(65.0, grown.studies().get(0).config().epochs(), "the study holds every epoch a run may grow to, and one more");
        assertEquals(grown.runs().get(0).config().schedule().warmupSteps(), plan.runs().get(0).config().schedule().warmupSteps(), "the cap does not change the warmup");
        assertEquals(2, c.seed());
        assertEquals(10_000, plan.studies().get(0).config().valTokens());
        assertEquals(2, plan.cpus());
    }

    @Test
    void aCorpusIsTokenizedIntoTheSweep() {
        SweepPlan plan = parse(YAML.replace("docs: tok/", "corpus: {input: books/, format: text}\ntokenizer: t.json"));
        assertEquals("/out/docs", plan.docs());
        assertEquals(List.of("/abs/books/"), plan.corpus().config().inputs());
        assertEquals("/abs/t.json", plan.runs().get(0).config().tokenizer());
    }

    /**
     * Any `quokka train` option as an axis: the grid is the product of its axes (a zip axis varying several options
     * together), each run's name and config carry the values, and the plain axes keep their runs' settings.
     */
    @Test
    void trainOptionsAreAxesOfTheGrid() {
        String spec = YAML.replace("epochs: [1, 4, 16]", """
                epochs: [4]
                  weight-decay: [0, 0.1]
                  zip: {lr: [1e-3, 1e-2], batch-tokens: [1024, 4096]}
                  curriculum: ["0.2,0.5,0.1"]""").replace("lr: 3e-3", "min-lr: 1e-4").replace("batch-tokens: 2048, ", "");
        SweepPlan plan = parse(spec);
        assertEquals(2 * 2 * 2 * 2 * 2, plan.runs().size(), "objectives x models x U x weight decay x (lr, batch)");
        SweepPlan.Run r = plan.runs().stream().filter(x -> x.name().equals("dlm-tiny-U1M-e4-weight-decay0.1-lr0.01-batch-tokens4096-curriculum0.2_0.5_0.1-s1"))
                .findFirst().orElseThrow(() -> new AssertionError(plan.runs().stream().map(SweepPlan.Run::name).toList().toString()));
        assertEquals(0.1, r.config().optimiser().weightDecay());
        assertEquals(1e-2, r.config().schedule().lr());
        assertEquals(4096, r.config().batchTokens(), "zipped with lr 1e-2");
        assertEquals(1e-4, r.config().schedule().minLr(), "the spec's train options still apply");
        assertEquals(0.2, r.config().dlm().curriculum().start());
        assertEquals("/out/runs/" + r.name(), r.config().output());
        assertEquals(java.util.Map.of("weight-decay", "0.1", "lr", "0.01", "batch-tokens", "4096", "curriculum", "0.2,0.5,0.1"), r.axes());
        assertEquals(List.of("weight-decay", "lr", "batch-tokens", "curriculum"), List.copyOf(r.axes().keySet()), "in the grid's order");
        assertEquals(2, plan.studies().size(), "option axes share the studies");
        assertEquals(java.util.Map.of(), parse(YAML).runs().get(0).axes(), "a grid without option axes");

        String unknown = message(YAML.replace("epochs: [1, 4, 16]", "epochs: [1]\n  learning_rate: [1e-3]"));
        assertTrue(unknown.contains("grid.learning_rate is not a quokka train option nor an axis of the grid"), unknown);
        assertTrue(message(YAML.replace("epochs: [1, 4, 16]", "epochs: [1]\n  lr: [1e-3]")).contains("grid.lr is an axis of the grid; leave it out of 'train'"));
        assertTrue(message(YAML.replace("epochs: [1, 4, 16]", "epochs: [1]\n  seed: [1, 2]")).contains("grid.seed is set by the sweep"));
        assertTrue(message(YAML.replace("epochs: [1, 4, 16]", "epochs: [1]\n  weight-decay: []")).contains("grid.weight-decay must be a non-empty list"));
        String bad = message(YAML.replace("epochs: [1, 4, 16]", "epochs: [1]\n  mask-schedule: [linear, quartic]"));
        assertTrue(bad.contains("sweep.yaml: grid values {mask-schedule=quartic}: train: --mask-schedule must be one of linear, poly2, cosine, not quartic"), bad);
        String zip = message(YAML.replace("epochs: [1, 4, 16]", "epochs: [1]\n  zip: {warmup: [0.01, 0.02], min-lr: [1e-5]}"));
        assertTrue(zip.contains("grid.zip: 'min-lr' has 1 values, the lists before it 2"), zip);
    }

    /** Runs that need more tokens than the tokenized corpus holds are refused before any study is built, by name. */
    @Test
    void runsTheCorpusCannotHoldAreRefusedByName(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path docs = java.nio.file.Files.createDirectories(dir.resolve("docs"));
        java.nio.file.Files.writeString(docs.resolve("_manifest.json"), "{\"counts\": {\"tokens\": 400000}}");
        String spec = """
                docs: %s
                seed: 1
                seq_len: 64
                val_tokens: 50k
                grid:
                  objectives: [dlm]
                  models: ["32,2,2", "64,2,2"]
                  budgets: [1e10, 1e11]
                train: {batch-tokens: 1024}
                """.formatted(docs);
        SweepPlan plan = SweepPlan.parse(spec, "sweep.yaml", dir.resolve("out").toString(), p -> p);
        var fs = org.apache.hadoop.fs.FileSystem.getLocal(new org.apache.hadoop.conf.Configuration());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SweepJob.refuseWhatTheCorpusCannotHold(plan, fs, fs.getConf()));
        // 1e11 FLOPs on N = 33.2k is D = 502k, more than the 350k left after validation; the other runs need 16k-155k.
        assertTrue(e.getMessage().startsWith("1 runs need more unique tokens than the corpus holds (400k in "), e.getMessage());
        assertTrue(e.getMessage().contains("dlm-1e11_33.2k_"), e.getMessage());
        java.nio.file.Files.writeString(docs.resolve("_manifest.json"), "{\"counts\": {\"tokens\": 100000000}}");
        SweepJob.refuseWhatTheCorpusCannotHold(plan, fs, fs.getConf()); // a corpus large enough: nothing to refuse
    }

    @Test
    void badSpecsAreErrorsThatNameTheFileAndTheSetting() {
        assertEquals("sweep.yaml: the sweep spec has no 'grid'", assertThrows(IllegalArgumentException.class,
                () -> parse("{\"docs\": \"d\", \"seq_len\": 8}")).getMessage());
        assertTrue(message(YAML.replace("[dlm, ar]", "[dlm, gpt]")).contains("'gpt' is not dlm or ar"));
        assertTrue(message(YAML.replace("schedule: wsd", "model: wsd")).contains("train.model is set by the sweep"));
        assertTrue(message(YAML.replace("[1, 4, 16]", "[1, 1]")).contains("repeats a run"));
        String unknown = message(YAML.replace("lr: 3e-3", "learning-rate: 3e-3"));
        assertTrue(unknown.contains("train.learning-rate is not a quokka train option"), unknown);
        assertTrue(message(YAML.replace("schedule: wsd", "schedule: linear")).contains("--schedule must be cosine or wsd"));
        assertTrue(message(YAML.replace("seed: 1", "sede: 1")).contains("unknown setting 'sede'"));
        assertTrue(message("grid: [").startsWith("sweep.yaml: not YAML or JSON"));
        assertTrue(message(YAML.replace("epochs: [1, 4, 16]", "e_max: 4\n  epochs: [1]")).contains("either 'epochs' (a list) or 'e_max'"));
    }

    /**
     * Batches hold runs of equal length and shape only: a run that ends keeps its slot of the batched step until the
     * batch ends, so runs of other lengths, and under a stop rule other objectives, go to other batches.
     */
    @Test
    void batchesHoldRunsOfOneShapeAndLengthAndUnderAStopRuleOneObjective() {
        String spec = YAML.replace("epochs: [1, 4, 16]", "epochs: [1, 4]\n  lr: [1e-3, 3e-3, 1e-2]").replace(", lr: 3e-3", "")
                + "resources: {batch_runs: 2}\n";
        SweepPlan plan = parse(spec);
        assertEquals(2, plan.batchRuns());
        var tasks = plan.tasks(plan.runs(), SweepPlan.Run::config);
        for (SweepPlan.Task<SweepPlan.Run> t : tasks) {
            assertTrue(t.batched() && t.runs().size() <= 2, t.toString());
            assertEquals(1, t.runs().stream().map(r -> SweepPlan.batchKey(r.config())).distinct().count(), t.toString());
            assertEquals(1, t.runs().stream().map(r -> r.model() + r.uniqueTokens() + "/" + r.epochs()).distinct().count(), t.toString());
        }
        // 8 cells of (model, U, e), each of 2 objectives x 3 lrs: 6 runs, 3 batches of 2.
        assertEquals(8 * 3, tasks.size());
        assertTrue(tasks.stream().anyMatch(t -> t.runs().stream().map(SweepPlan.Run::objective).distinct().count() == 2),
                "without a stop rule AR and DLM runs of one length share batches");

        SweepPlan ruled = parse(spec.replace("train: {", "train: {stop-patience: 3, "));
        for (SweepPlan.Task<SweepPlan.Run> t : ruled.tasks(ruled.runs(), SweepPlan.Run::config)) {
            assertEquals(1, t.runs().stream().map(SweepPlan.Run::objective).distinct().count(), "under a stop rule, one objective a batch: " + t);
        }

        SweepPlan alone = parse(YAML);
        assertTrue(alone.tasks(alone.runs(), SweepPlan.Run::config).stream().allMatch(t -> !t.batched() && t.runs().size() == 1), "by default one run per task");
        SweepPlan auto = parse(YAML + "resources: {batch_runs: auto}\n");
        assertEquals(SweepPlan.AUTO, auto.batchRuns());
        assertTrue(auto.tasks(auto.runs(), SweepPlan.Run::config).stream().allMatch(t -> !t.batched()), "auto before a choice: one run per task");
        SweepPlan chosen = auto.withBatchSizes(java.util.Map.of("tiny/2048", 4));
        assertTrue(chosen.tasks(chosen.runs(), SweepPlan.Run::config).stream().allMatch(t -> t.batched() == t.runs().get(0).model().equals("tiny")));

        assertTrue(message(YAML + "resources: {batch_runs: 0}\n").contains("resources.batch_runs must be a whole number of runs of at least 1 (1: one run per task) or auto, not 0"));
        assertTrue(message(YAML + "resources: {batch_runs: many}\n").contains("not many"));
    }

    private static String message(String spec) {
        return assertThrows(IllegalArgumentException.class, () -> parse(spec)).getMessage();
    }
}
