package dev.quokka.jobs.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.quokka.analysis.Comparison;
import dev.quokka.analysis.Law;
import dev.quokka.analysis.PointsTable;
import dev.quokka.analysis.Quantities;
import dev.quokka.analysis.RunPoints;
import dev.quokka.dataprep.provenance.AtomicOutput;
import dev.quokka.dataprep.provenance.BuildInfo;
import dev.quokka.dataprep.provenance.DocsManifest;
import dev.quokka.dataprep.provenance.FitManifest;
import dev.quokka.dataprep.provenance.Manifests;
import dev.quokka.dataprep.provenance.OutputExistsException;
import dev.quokka.dataprep.provenance.StudyManifest;
import dev.quokka.dataprep.shard.ShardJob;
import dev.quokka.dataprep.tokenize.TokenizeConfig;
import dev.quokka.dataprep.tokenize.TokenizeJob;
import dev.quokka.dataprep.verify.VerifyJob;
import dev.quokka.dataprep.vocab.TrainTokenizerJob;
import dev.quokka.jobs.options.FitOptions;
import dev.quokka.jobs.options.PlanOptions;
import dev.quokka.tokenizer.BpeTrainer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A whole study, stage by stage: train a tokenizer, tokenize, build and verify the studies, sweep DLM and AR, fit
 * Quokka's law to each objective, plan with the DLM fit, and write the report. Each stage is skipped when its output
 * is complete and made from what the earlier stages hold now, so an interrupted study continues where it stopped.
 *
 * <pre>
 *   tokenizer.json      the BPE vocabulary (when no --tokenizer was given), with its manifest
 *   docs/               the tokenized corpus
 *   sweep.yaml          the grid, as a `quokka sweep` spec
 *   sweep/              studies/, runs/, summary.csv
 *   analysis/dlm, ar/   points, fit.json, fit.md and each fit's report
 *   plan/               e_opt and the joint optimum from the DLM fit
 *   report.html         the study's report; summary.md, the text it ends with
 * </pre>
 */
public final class StudyPipeline {
    static final String[] STAGES = {"tokenizer", "tokenize", "studies", "sweep", "analyze", "plan", "report"};
    static final List<String> OBJECTIVES = List.of("dlm", "ar");
    /** Quokka's constants that place overfitting (e_p = c_p U^m_p / N^k_p and its exponent gamma). */
    public static final List<String> OVERFITTING = List.of("gamma", "c_p", "m_p", "k_p");
    /** The DLM fit with {@link #OVERFITTING} held at Quokka's values, made when the free fit cannot identify them. */
    static final String HELD = "dlm-held";

    /** The raw text and how to read it. */
    public record Corpus(List<String> inputs, TokenizeConfig.Format format, boolean paragraphs, String textField) {}

    /**
     * Where the study goes and how it runs: {@code tokenizer} replaces the trained vocabulary when not null;
     * {@code fault} is the sweep's test hook ({@link SweepTask.Fault}), null outside tests.
     */
    public record Settings(String output, String tokenizer, long seed, boolean keepGoing, SweepTask.Fault fault) {}

    /** How the study ended: 0 when every run completed and every stage ran, 1 otherwise. */
    public record Outcome(int exitCode, String report, String summary) {}

    private final StudyPreset preset;
    private final Corpus corpus;
    private final String givenTokenizer;
    private final Path out;
    private final boolean keepGoing;
    private final SweepTask.Fault fault;
    private final PrintStream console;
    private final Configuration conf = new Configuration();
    private final FileSystem fs;
    private final SweepPlan plan;
    private final String spec;
    /** A study of training choices: each experiment's sweep spec and plan, by name; empty for a study of a law. */
    private final Map<String, String> experimentSpecs = new java.util.LinkedHashMap<>();
    private final Map<String, SweepPlan> experimentPlans = new java.util.LinkedHashMap<>();

    public StudyPipeline(StudyPreset preset, Corpus corpus, Settings settings, PrintStream console) throws IOException {
        this.preset = preset;
        this.corpus = corpus;
        this.givenTokenizer = settings.tokenizer();
        Path o = new Path(settings.output());
        this.fs = o.getFileSystem(conf);
        this.out = fs.makeQualified(o);
        this.keepGoing = settings.keepGoing();
        this.console = console;
        if (preset.vocabSize() == 0 && givenTokenizer == null) {
            throw new IllegalArgumentException("preset " + preset.name() + " uses a given vocabulary: pass --tokenizer (Quokka used GPT-2's, with a mask token)");
        }
        if (preset.ablation()) {
            for (StudyPreset.Experiment e : preset.experiments()) {
                String text = new YAMLMapper().writeValueAsString(preset.spec(path("docs"), tokenizerPath(), settings.seed(), e));
                experimentSpecs.put(e.name(), text);
                experimentPlans.put(e.name(), SweepPlan.parse(text, "preset " + preset.name() + ", experiment " + e.name(), path("sweep/" + e.name()), p -> p));
            }
            this.spec = String.join("---\n", experimentSpecs.values());
            SweepPlan first = experimentPlans.values().iterator().next();
            // Every experiment's runs and studies as one plan: what the study costs, and which run a fault names.
            this.plan = new SweepPlan(first.spec(), null, first.docs(), experimentPlans.values().stream().flatMap(x -> x.studies().stream()).toList(),
                    experimentPlans.values().stream().flatMap(x -> x.runs().stream()).toList(), first.cpus(), first.gpus(), 0, first.batchRuns());
        } else {
            this.spec = new YAMLMapper().writeValueAsString(preset.spec(path("docs"), tokenizerPath(), settings.seed()));
            this.plan = SweepPlan.parse(spec, "preset " + preset.name(), path("sweep"), p -> p);
        }
        this.fault = settings.fault() == null ? null : settings.fault().requireIn(plan);
    }

    public SweepPlan plan() {
        return plan;
    }

    private String path(String child) {
        return new Path(out, child).toString();
    }

    private String tokenizerPath() {
        return givenTokenizer != null ? givenTokenizer : path("tokenizer.json");
    }

    public Outcome run(SparkSession spark) throws IOException {
        try {
            return stages(spark);
        } catch (OutputExistsException e) {
            throw new IllegalArgumentException(e.target() + " was made from another corpus or other settings than this study's, and a "
                    + "study directory holds one study: give this one a new --output, or delete " + out + " to start again", e);
        }
    }

    private Outcome stages(SparkSession spark) throws IOException {
        long start = System.nanoTime();
        fs.mkdirs(out);
        if (preset.ablation()) {
            for (Map.Entry<String, String> e : experimentSpecs.entrySet()) write("sweep-" + e.getKey() + ".yaml", e.getValue());
        } else {
            write("sweep.yaml", spec);
        }
        boolean ok = true;

        stage(1, "train a " + preset.vocabSize() + "-token BPE vocabulary with the Spark job");
        if (givenTokenizer != null) {
            done("given: " + givenTokenizer);
        } else {
            tokenizer(spark);
        }

        stage(2, "tokenize the corpus");
        TokenizeJob.Result docs = TokenizeJob.run(spark, new TokenizeConfig(corpus.inputs(), corpus.format(), corpus.textField(),
                corpus.paragraphs(), tokenizerPath(), path("docs"), false, false, TokenizeConfig.DEFAULT_MAX_DOCUMENT_BYTES));
        DocsManifest.Counts counts = docs.manifest().counts();
        done(String.format("%s: %,d documents, %,d tokens", docs.upToDate() ? "up to date" : "tokenized", counts.documents(), counts.tokens()));

        SweepJob.refuseWhatTheCorpusCannotHold(plan, fs, conf);
        if (preset.ablation()) return ablations(spark, start);
        stage(3, preset.computeConstrained()
                ? "build one study of " + Quantities.format(plan.studies().get(0).config().uniqueTokens()) + " tokens, the largest D (each run reads "
                        + "its own prefix, each token once), with a validation set, and verify it"
                : "build " + plan.studies().size() + " studies (U = " + String.join(", ", preset.uniqueTokens()) + ") with one validation set, and verify them");
        for (SweepPlan.Study s : plan.studies()) ok &= study(spark, s);
        if (!ok) return new Outcome(1, null, "a study failed verification");

        stage(4, preset.computeConstrained()
                ? "sweep DLM and AR: " + plan.runs().size() + " runs, one per model and FLOP budget C (" + String.join(", ", preset.budgets())
                        + ") on D = C / 6N tokens, cosine to the end, evaluated at the end"
                : "sweep DLM and AR: " + plan.runs().size() + " warmup-stable runs to " + preset.eMax() + " epochs, evaluated at every epoch");
        SweepJob.Result sweep = SweepJob.run(spark, plan, path("sweep"), fault, console);
        console.print(SweepJob.markdown(sweep.rows()));
        if (sweep.failed() > 0) {
            console.printf("%d of %d runs did not complete (see %s/summary.md)%n", sweep.failed(), sweep.rows().size(), path("sweep"));
            if (!keepGoing) return new Outcome(1, null, "runs failed; --keep-going analyses the runs that completed");
            ok = false;
        }
        String fingerprint = fingerprint(sweep);
        if (preset.computeConstrained()) return isoFlop(spark, fingerprint, ok, start, docs.manifest().tokenizer().vocabSize());

        stage(5, "gather every epoch's validation loss and fit Quokka's law to each objective");
        List<String> runs = RunPoints.find(List.of(path("sweep/runs")), conf);
        Dataset<Row> points = RunPoints.points(spark, runs, RunPoints.Mode.EPOCHS, RunPoints.NConvention.PAPERS, RunPoints.DEFAULT_PATIENCE).cache();
        PointsTable.Result table = PointsTable.check(points, null);
        List<FitManifest.Input> inputs = null; // hashed once for both fits, and only if one is redone
        for (String objective : OBJECTIVES) {
            if (upToDate("analysis-" + objective, fingerprint, path("analysis/" + objective))) {
                done(objective + ": up to date");
                continue;
            }
            if (inputs == null) inputs = checksums(runs);
            ok &= fit(objective, null, table, points, runs.size(), inputs, fingerprint);
        }
        // Runs that never turn up leave the overfitting constants free: fit the DLM again with them held at Quokka's.
        List<String> unidentified = unidentifiedOverfitting(path("analysis/dlm"));
        if (unidentified.isEmpty()) {
            fs.delete(new Path(out, "analysis/" + HELD), true); // from an earlier round of runs that did not identify them
        } else {
            if (upToDate("analysis-" + HELD, fingerprint, path("analysis/" + HELD))) {
                done(HELD + ": up to date");
            } else {
                done("dlm: " + String.join(", ", unidentified) + " not identified by these runs; fitting again with "
                        + String.join(", ", OVERFITTING) + " held at Quokka's published values");
                if (inputs == null) inputs = checksums(runs);
                ok &= fit("dlm", "quokka-dlm:" + String.join(",", OVERFITTING), table, points, runs.size(), inputs, fingerprint);
            }
        }
        points.unpersist();

        stage(6, "plan with the DLM fit: e_opt(N, U) and the joint optimum over the grid's N and U");
        ok &= plan(fingerprint, docs.manifest().tokenizer().vocabSize());

        stage(7, "write the report");
        StudySummary summary = StudySummary.of(preset, table.points(), out, fs);
        write("summary.md", summary.markdown());
        for (Map.Entry<String, byte[]> f : summary.reportFiles().entrySet()) writeBytes(new Path(out, f.getKey()), f.getValue());
        done("wrote " + path("report.html"));
        console.printf("%nThe study took %.1f minutes.%n", (System.nanoTime() - start) / 60e9);
        return new Outcome(ok ? 0 : 1, path("report.html"), summary.markdown());
    }

    /**
     * Stages 5 to 7 of a compute-constrained study: each run's final validation loss at the papers' non-embedding N
     * (as Quokka's Section 3 counts it), Approach 1 (IsoFLOP profiles) for each objective, the allocation planned from
     * the DLM fit against AR's (how much more data the DLM wants at each budget), and the report. A budget whose
     * minimum these sizes do not bracket is excluded by the fit and reported; an objective left with too few budgets
     * has no fit, and the summary says why.
     */
    private Outcome isoFlop(SparkSession spark, String fingerprint, boolean ok, long start, int vocab) throws IOException {
        stage(5, "gather each run's final validation loss and fit IsoFLOP profiles (approach 1) to each objective");
        List<String> runs = RunPoints.find(List.of(path("sweep/runs")), conf);
        Dataset<Row> points = RunPoints.points(spark, runs, RunPoints.Mode.FINAL, RunPoints.NConvention.NON_EMBEDDING, 0).cache();
        PointsTable.Result table = PointsTable.check(points, null);
        List<FitManifest.Input> inputs = null;
        Map<String, String> notFitted = new java.util.LinkedHashMap<>();
        for (String objective : OBJECTIVES) {
            if (upToDate("analysis-" + objective, fingerprint, path("analysis/" + objective))) {
                done(objective + ": up to date");
                continue;
            }
            if (inputs == null) inputs = checksums(runs);
            Dataset<Row> mine = points.filter(points.col("objective").equalTo(objective));
            String source = runs.size() + " runs of the " + preset.name() + " study (final validation loss, " + objective + ")";
            try {
                ok &= fit("isoflop", objective, null, table, mine, source, "non_embedding", inputs, fingerprint);
            } catch (IllegalArgumentException e) { // too few budgets bracket a minimum: a finding, not a failure
                fs.delete(new Path(out, "analysis/" + objective), true);
                notFitted.put(objective, e.getMessage());
                done(objective + ": no fit: " + e.getMessage());
            }
        }
        points.unpersist();

        stage(6, "plan with the DLM fit: the compute-optimal allocation (Tables 1 and 2) and the DLM's data against AR's at each budget");
        Path dlm = new Path(out, "analysis/dlm/fit.json"), ar = new Path(out, "analysis/ar/fit.json");
        if (!fs.exists(dlm)) {
            done("no DLM fit to plan with");
            fs.delete(new Path(out, "plan"), true);
        } else if (upToDate("plan", fingerprint, path("plan"))) {
            done("up to date");
        } else {
            PlanOptions planner = new PlanOptions();
            planner.fit = dlm.toString();
            planner.versusFit = fs.exists(ar) ? ar.toString() : null;
            planner.ns = plan.runs().stream().mapToLong(r -> r.config().shape(vocab).papersNonEmbeddingParameters()).distinct().sorted()
                    .mapToObj(Long::toString).toList();
            planner.budgets = preset.budgets();
            planner.output = path("plan");
            planner.run();
            markDone("plan", fingerprint);
        }

        stage(7, "write the report");
        IsoFlopSummary summary = IsoFlopSummary.of(preset, table.points(), notFitted, out, fs);
        write("summary.md", summary.markdown());
        for (Map.Entry<String, byte[]> f : summary.reportFiles().entrySet()) writeBytes(new Path(out, f.getKey()), f.getValue());
        done("wrote " + path("report.html"));
        console.printf("%nThe study took %.1f minutes.%n", (System.nanoTime() - start) / 60e9);
        // A grid that brackets no minimum is a finding of the study, reported in its summary, not a failure of it.
        return new Outcome(ok ? 0 : 1, path("report.html"), summary.markdown());
    }

    /**
     * Stages 3 to 7 of a study of training choices: each experiment's studies, its sweep (sweep/EXPERIMENT), its
     * runs compared by its axes (compare/EXPERIMENT, as `quokka compare` writes it), and the summary that reads each
     * comparison against Quokka's finding. A comparison is redone only when its runs changed.
     */
    private Outcome ablations(SparkSession spark, long start) throws IOException {
        boolean ok = true;
        stage(3, "build the studies of " + experimentPlans.size() + " experiments, with their validation sets, and verify them");
        for (SweepPlan p : experimentPlans.values()) for (SweepPlan.Study s : p.studies()) ok &= study(spark, s);
        if (!ok) return new Outcome(1, null, "a study failed verification");

        Map<String, SweepJob.Result> sweeps = new java.util.LinkedHashMap<>();
        stage(4, "sweep " + plan.runs().size() + " runs in " + experimentPlans.size() + " experiments: " + String.join(", ", experimentPlans.keySet()));
        for (Map.Entry<String, SweepPlan> e : experimentPlans.entrySet()) {
            done(e.getKey() + ": " + e.getValue().runs().size() + " runs");
            SweepJob.Result sweep = SweepJob.run(spark, e.getValue(), path("sweep/" + e.getKey()), fault, console);
            if (sweep.failed() > 0) {
                console.printf("%d of %d runs of %s did not complete (see %s/summary.md)%n", sweep.failed(), sweep.rows().size(), e.getKey(), path("sweep/" + e.getKey()));
                if (!keepGoing) return new Outcome(1, null, "runs failed; --keep-going analyses the runs that completed");
                ok = false;
            }
            sweeps.put(e.getKey(), sweep);
        }

        stage(5, "compare each experiment's runs by the options it varies");
        Map<String, Comparison.Result> results = new java.util.LinkedHashMap<>();
        Map<String, Map<String, byte[]>> figures = new java.util.LinkedHashMap<>();
        for (StudyPreset.Experiment e : preset.experiments()) {
            List<String> runs = RunPoints.find(List.of(path("sweep/" + e.name() + "/runs")), conf);
            List<String> axes = new java.util.ArrayList<>(new java.util.TreeSet<>(e.axes().keySet()));
            String dir = path("compare/" + e.name()), fingerprint = fingerprint(experimentSpecs.get(e.name()), sweeps.get(e.name()));
            Comparison.Result r;
            if (upToDate("compare-" + e.name(), fingerprint, dir)) {
                r = Comparison.compare(spark, runs, axes);
                done(e.name() + ": up to date");
            } else {
                r = ComparisonOutput.write(spark, runs, axes, dir, path("sweep/" + e.name() + "/runs")).result();
                markDone("compare-" + e.name(), fingerprint);
                done(e.name() + ": " + r.cells().size() + " cells of " + runs.size() + " runs, by " + String.join(" and ", axes));
            }
            results.put(e.name(), r);
            figures.put(e.name(), dev.quokka.analysis.ComparisonReport.files(e.name(), r, ""));
        }

        stage(6, "none: a study of training choices compares them, it fits and plans nothing");
        stage(7, "read each comparison against Quokka's findings and write the report");
        AblationSummary summary = AblationSummary.of(preset, results, figures);
        write("summary.md", summary.markdown());
        for (Map.Entry<String, byte[]> f : summary.reportFiles().entrySet()) writeBytes(new Path(out, f.getKey()), f.getValue());
        done("wrote " + path("report.html"));
        console.printf("%nThe study took %.1f minutes.%n", (System.nanoTime() - start) / 60e9);
        return new Outcome(ok ? 0 : 1, path("report.html"), summary.markdown());
    }

    private void tokenizer(SparkSession spark) throws IOException {
        TokenizeConfig input = new TokenizeConfig(corpus.inputs(), corpus.format(), corpus.textField(), corpus.paragraphs(),
                null, tokenizerPath(), false, false, TokenizeConfig.DEFAULT_MAX_DOCUMENT_BYTES);
        TrainTokenizerJob.Result r = TrainTokenizerJob.run(spark, new TrainTokenizerJob.Config(input, preset.vocabSize(), "gpt2",
                BpeTrainer.DEFAULT_SPECIALS, 2, TrainTokenizerJob.DEFAULT_MAX_WORDS));
        done((r.upToDate() ? "up to date: " : "trained: ") + tokenizerPath());
    }

    /** Builds (or reuses) a study, then verifies it unless this exact study was verified before. */
    private boolean study(SparkSession spark, SweepPlan.Study s) throws IOException {
        ShardJob.Result r = ShardJob.run(spark, s.config());
        Path verified = new Path(out, ".state/verified-" + s.name());
        String sha = Manifests.sha256(r.json());
        if (r.upToDate() && fs.exists(verified) && readText(verified).equals(sha)) {
            done(s.name() + ": up to date, verified before");
            return true;
        }
        VerifyJob.Report v = VerifyJob.run(spark, s.config().output());
        if (!v.ok()) {
            console.printf("  %s: verify found %d problems:%n", s.name(), v.problems().size());
            v.problems().forEach(p -> console.println("    " + p));
            return false;
        }
        writeText(verified, sha);
        StudyManifest m = r.manifest();
        done(String.format("%s: %s and verified: %,d unique tokens in %,d documents, validation %,d tokens in %,d documents, none in training",
                s.name(), r.upToDate() ? "up to date" : "built", m.unique().tokens(), m.unique().documents(), m.validation().tokens(),
                m.validation().documents()));
        return true;
    }

    /** The files the fits read: every run's run.json and eval.csv, hashed on the executors. */
    private static List<FitManifest.Input> checksums(List<String> runs) throws IOException {
        List<String> read = new ArrayList<>();
        for (String r : runs) read.addAll(List.of(r + "/run.json", r + "/metrics/eval.csv"));
        return FitOptions.checksums(read);
    }

    /**
     * Fits Quokka's law to one objective's points, into analysis/OBJECTIVE, or with {@code fixFrom} (LAW:NAME,...)
     * holding those constants, into analysis/dlm-held.
     */
    private boolean fit(String objective, String fixFrom, PointsTable.Result table, Dataset<Row> points, int runs, List<FitManifest.Input> inputs,
                        String fingerprint) throws IOException {
        return fit("quokka", objective, fixFrom, table, points, runs + " runs of the " + preset.name() + " study (every epoch, " + objective
                + (fixFrom == null ? "" : ", " + fixFrom + " held") + ")", "papers", inputs, fingerprint);
    }

    private boolean fit(String law, String objective, String fixFrom, PointsTable.Result table, Dataset<Row> points, String source, String nConvention,
                        List<FitManifest.Input> inputs, String fingerprint) throws IOException {
        String name = fixFrom == null ? objective : HELD;
        String dir = path("analysis/" + name);
        FitOptions fit = new FitOptions();
        fit.law = law;
        fit.objective = objective;
        fit.fixFrom = fixFrom;
        fit.resamples = 100;
        fit.level = 0.95;
        fit.seed = 1;
        fit.bootstrapOn = "auto";
        try {
            Dataset<Row> mine = points.filter(points.col("objective").equalTo(objective));
            fit.fitAndWrite(table, source, nConvention, inputs, dir,
                    o -> mine.orderBy("run", "d").coalesce(1).write().parquet(new Path(o.stagingPath(), "points").toString()));
        } catch (RuntimeException e) {
            if (!keepGoing) throw e;
            console.printf("  %s: the fit failed: %s%n", objective, e.getMessage());
            return false;
        }
        markDone("analysis-" + name, fingerprint);
        return true;
    }

    /**
     * The overfitting constants that a completed fit's identifiability report marks unidentified (none when there is
     * no fit). fit.json is read whole: it is a few kilobytes.
     */
    private List<String> unidentifiedOverfitting(String fitDir) throws IOException {
        Path f = new Path(fitDir, "fit.json");
        if (!fs.exists(f)) return List.of();
        JsonNode report;
        try (InputStream in = fs.open(f)) {
            report = SweepJob.JSON.readTree(in).path("identifiability");
        }
        return OVERFITTING.stream().filter(c -> report.path(c).path("verdict").asText().equals("unidentified")).toList();
    }

    private boolean plan(String fingerprint, int vocab) throws IOException {
        String dir = path("plan");
        if (upToDate("plan", fingerprint, dir)) {
            done("up to date");
            return true;
        }
        // The held fit, where there is one: the free fit's e_opt then rests on constants its runs do not identify.
        Path held = new Path(out, "analysis/" + HELD + "/fit.json");
        boolean useHeld = fs.exists(held);
        Path fitJson = useHeld ? held : new Path(out, "analysis/dlm/fit.json");
        if (!fs.exists(fitJson)) {
            console.println("  no DLM fit to plan with");
            return false;
        }
        Law law = PlanOptions.fitted(fitJson.toString());
        PlanOptions planner = new PlanOptions();
        planner.law = useHeld ? "the DLM fit with " + String.join(", ", OVERFITTING) + " held at Quokka's" : "the DLM fit";
        planner.ns = plan.runs().stream().map(r -> Long.toString(r.config().shape(vocab).papersParameters())).distinct().toList();
        planner.us = preset.uniqueTokens();
        planner.budgets = List.of("1e14", "1e15", "1e16");
        planner.output = dir;
        planner.plan(law);
        markDone("plan", fingerprint);
        return true;
    }

    /**
     * What the analysis depends on: every run's status, steps and losses (not what this sweep did to them), the grid
     * and the code.
     */
    private String fingerprint(SweepJob.Result sweep) {
        return fingerprint(spec, sweep);
    }

    private static String fingerprint(String spec, SweepJob.Result sweep) {
        StringBuilder s = new StringBuilder(spec).append('\n').append(BuildInfo.codeVersion()).append('\n');
        for (SweepJob.Row r : sweep.rows()) {
            s.append(String.join(",", r.run(), r.status(), Long.toString(r.steps()), Double.toString(r.valLoss()), Double.toString(r.bestValLoss()))).append('\n');
        }
        return sha256(s.toString());
    }

    private boolean upToDate(String stage, String fingerprint, String dir) throws IOException {
        Path state = new Path(out, ".state/" + stage);
        return fs.exists(state) && readText(state).equals(fingerprint) && fs.exists(new Path(dir, "_SUCCESS"));
    }

    private void markDone(String stage, String fingerprint) throws IOException {
        writeText(new Path(out, ".state/" + stage), fingerprint);
    }

    private void stage(int k, String what) {
        console.printf("%n== [%d/%d] %s: %s%n", k, STAGES.length, STAGES[k - 1], what);
    }

    private void done(String what) {
        console.println("  " + what);
    }

    private void write(String name, String text) throws IOException {
        writeText(new Path(out, name), text);
    }

    private void writeText(Path target, String text) throws IOException {
        writeBytes(target, text.getBytes(StandardCharsets.UTF_8));
    }

    private void writeBytes(Path target, byte[] bytes) throws IOException {
        AtomicOutput.writeFile(fs, target, bytes);
    }

    private String readText(Path p) throws IOException {
        try (InputStream in = fs.open(p)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
