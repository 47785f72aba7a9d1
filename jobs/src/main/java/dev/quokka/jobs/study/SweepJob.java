package dev.quokka.jobs.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.quokka.analysis.Quantities;
import dev.quokka.dataprep.provenance.AtomicOutput;
import dev.quokka.dataprep.provenance.BuildInfo;
import dev.quokka.dataprep.provenance.ManifestJson;
import dev.quokka.dataprep.provenance.RunManifest;
import dev.quokka.dataprep.provenance.StudyManifest;
import dev.quokka.dataprep.provenance.SweepManifest;
import dev.quokka.dataprep.shard.ShardJob;
import dev.quokka.dataprep.spark.SerializableConfiguration;
import dev.quokka.dataprep.tokenize.TokenizeJob;
import dev.quokka.training.TrainConfig;
import dev.quokka.training.Trainer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * A sweep on Spark. The driver tokenizes the corpus if the spec has one, prepares each study (reusing complete ones),
 * then submits each run that is not finished as a job of one task, longest first, all at once: Spark runs as many
 * as the cluster has task slots, and a run that fails for good fails only its own job. At the end it reads every
 * run's manifest and writes the summary. The sweep directory:
 * <pre>
 *   sweep.json          the spec, the plan, the code version, and how every run stands
 *   summary.csv, .md    one row per run: status, N, U, e, steps, final and best validation loss, tokens/s, error
 *   docs/               the tokenized corpus (when the spec names a corpus)
 *   studies/U1M-s1/     one study per (U, seed)
 *   runs/dlm-tiny-U1M-e4-s1/   one run directory per run (quokka train's format)
 * </pre>
 */
public final class SweepJob {
    static final String FORMAT = "quokka.sweep/1";
    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One line of the summary. */
    record Row(String run, String status, String action, long papersN, long uniqueTokens, double epochs, long steps, long totalSteps,
               double valLoss, double bestValLoss, double tokensPerSecond, String error, Map<String, String> axes) {}

    /** How the sweep ended. */
    public record Result(List<Row> rows) {
        public long failed() {
            return rows.stream().filter(r -> !r.status.equals("complete")).count();
        }
    }

    private SweepJob() {}

    /** {@code fault}: the test hook of {@link SweepTask.Fault}, or null. */
    public static Result run(SparkSession spark, SweepPlan plan, String output, SweepTask.Fault fault, PrintStream console) throws IOException {
        int taskCpus = spark.sparkContext().conf().getInt("spark.task.cpus", 1);
        if (taskCpus != plan.cpus()) {
            throw new IllegalArgumentException("spark.task.cpus is " + taskCpus + " but the spec asks for resources.cpus " + plan.cpus()
                    + "; leave spark.task.cpus unset and quokka sweep sets it");
        }
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Path dir = new Path(output);
        FileSystem fs = dir.getFileSystem(conf);
        fs.mkdirs(dir);
        AtomicOutput.writeFile(fs, new Path(dir, "sweep.json"), JSON.writeValueAsBytes(ManifestJson.tree(manifest(plan, null))));

        if (plan.corpus() != null) {
            TokenizeJob.Result t = TokenizeJob.run(spark, plan.corpus().config());
            console.printf("docs %s: %s%n", plan.docs(), t.upToDate() ? "up to date" : "tokenized");
        }
        refuseWhatTheCorpusCannotHold(plan, fs, conf);
        for (SweepPlan.Study s : plan.studies()) {
            ShardJob.Result r = ShardJob.run(spark, s.config());
            console.printf("study %s: %s%n", s.name(), r.upToDate() ? "up to date" : "prepared");
        }

        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        SerializableConfiguration hadoop = new SerializableConfiguration(conf);
        Map<String, SweepTask.Outcome> outcomes = new LinkedHashMap<>();
        List<SweepTask.Work> work = new ArrayList<>();
        for (SweepPlan.Run r : plan.longestFirst()) {
            RunManifest m = Trainer.manifestOf(r.config().output(), conf);
            SweepTask.Outcome known = m == null ? null : SweepTask.fromManifest(r.name(), m, r.config());
            if (known != null) {
                outcomes.put(r.name(), known);
                continue;
            }
            boolean extend = m != null && SweepTask.extendable(m, r.config());
            work.add(new SweepTask.Work(r.name(), r.config(), hadoop, fault != null && fault.run().equals(r.name()) ? fault : null, 0, extend));
        }
        long skipped = outcomes.values().stream().filter(o -> o.action().equals("skipped")).count();
        long extending = work.stream().filter(SweepTask.Work::extend).count();
        console.printf("%d runs: %d to train%s, %d already complete, %d refused%n", plan.runs().size(), work.size() - extending,
                extending > 0 ? ", " + extending + " to extend" : "", skipped, outcomes.size() - skipped);
        if (plan.batchRuns() == SweepPlan.AUTO && !work.isEmpty()) plan = chooseBatches(plan, work, jsc, conf, console);
        outcomes.putAll(runAll(jsc, plan, work, console));

        // The grow rule: runs still improving at the end of their stable phase are extended, doubling e_max up to the
        // cap, round after round, until every run has turned or reached the cap.
        for (int round = 1; plan.extendCap() > 0; round++) {
            List<SweepTask.Work> grow = new ArrayList<>();
            for (SweepPlan.Run r : plan.longestFirst()) {
                TrainConfig next = growth(r, plan.extendCap(), conf);
                if (next != null) grow.add(new SweepTask.Work(r.name(), next, hadoop, null, 0, true));
            }
            if (grow.isEmpty()) break;
            console.printf("extension round %d: %d runs still improving: %s%n", round, grow.size(),
                    String.join(", ", grow.stream().map(w -> w.run() + " to " + SweepPlan.label(w.config().epochs())).toList()));
            outcomes.putAll(runAll(jsc, plan, grow, console));
        }
        List<Row> rows = new ArrayList<>();
        for (SweepPlan.Run r : plan.runs()) rows.add(row(r, outcomes.get(r.name()), Trainer.manifestOf(r.config().output(), conf), conf));
        Result result = new Result(rows);
        AtomicOutput.writeFile(fs, new Path(dir, "summary.csv"), csv(rows).getBytes(StandardCharsets.UTF_8));
        AtomicOutput.writeFile(fs, new Path(dir, "summary.md"), markdown(rows).getBytes(StandardCharsets.UTF_8));
        AtomicOutput.writeFile(fs, new Path(dir, "sweep.json"), JSON.writeValueAsBytes(ManifestJson.tree(manifest(plan, rows))));
        return result;
    }

    /**
     * {@code batch_runs: auto}: K for each shape, timed here on the driver with as many copies at once as the sweep
     * has task slots ({@link BatchChoice}). On a cluster whose executors differ from the driver's machine, give K.
     */
    private static SweepPlan chooseBatches(SweepPlan plan, List<SweepTask.Work> work, JavaSparkContext jsc, Configuration conf, PrintStream console)
            throws IOException {
        Path study = new Path(plan.studies().get(0).config().output());
        int vocab = StudyManifest.read(study.getFileSystem(conf), study).tokenizer().vocabSize();
        int length = plan.studies().get(0).config().seqLen();
        int slots = Math.max(1, jsc.defaultParallelism() / plan.cpus());
        return plan.withBatchSizes(BatchChoice.choose(work.stream().map(SweepTask.Work::config).toList(),
                BatchChoice.measured(vocab, length, plan.cpus(), Math.min(slots, work.size())), console));
    }

    /** What a finished task did, for its progress line. */
    private static String describe(SweepTask.Outcome o) {
        if (o.error() != null) return " (" + o.error() + ")";
        Trainer.Summary s = o.summary();
        if (s == null) return "";
        return String.format(Locale.ROOT, " (%s, best validation loss %.4f, %,.0f tokens/s)",
                s.complete() ? "complete" : "stopped at step " + s.steps(), s.bestValLoss(), s.tokensPerSecond());
    }

    /**
     * Runs the work as Spark jobs of one task each (one run, or a batch of runs: {@link SweepPlan#tasks}), all submitted
     * at once; outcomes as they finish, counted by run.
     */
    private static Map<String, SweepTask.Outcome> runAll(JavaSparkContext jsc, SweepPlan plan, List<SweepTask.Work> work, PrintStream console)
            throws IOException {
        Map<String, JavaFutureAction<List<List<SweepTask.Outcome>>>> jobs = new LinkedHashMap<>();
        Map<String, SweepTask.Group> groups = new LinkedHashMap<>();
        for (SweepPlan.Task<SweepTask.Work> task : plan.tasks(work, SweepTask.Work::config)) {
            List<SweepTask.Work> runs = task.runs();
            SweepTask.Group g = new SweepTask.Group(runs, task.batched());
            jsc.setJobDescription("quokka sweep: " + g.name() + (runs.get(0).extend() ? " (extend)" : ""));
            jobs.put(g.name(), jsc.parallelize(List.of(g), 1).map(new SweepTask()).collectAsync());
            groups.put(g.name(), g);
        }
        jsc.setJobDescription(null);
        Map<String, SweepTask.Outcome> outcomes = new LinkedHashMap<>();
        try {
            long started = System.nanoTime();
            int finished = 0;
            Map<String, JavaFutureAction<List<List<SweepTask.Outcome>>>> pending = new LinkedHashMap<>(jobs);
            while (!pending.isEmpty()) {
                var done = pending.entrySet().stream().filter(j -> j.getValue().isDone()).map(Map.Entry::getKey).toList();
                if (done.isEmpty()) {
                    Thread.sleep(250);
                    continue;
                }
                for (String name : done) {
                    List<SweepTask.Outcome> os = new ArrayList<>();
                    try {
                        os.addAll(pending.remove(name).get().get(0));
                    } catch (ExecutionException e) {
                        for (SweepTask.Work w : groups.get(name).runs()) os.add(new SweepTask.Outcome(w.run(), "failed", reason(e.getCause()), -1));
                    }
                    for (SweepTask.Outcome o : os) {
                        outcomes.put(o.run(), o);
                        console.printf("run %d of %d done after %s: %s %s%s%n", ++finished, work.size(),
                                StudyCost.duration((System.nanoTime() - started) / 1e9), o.run(), o.action(), describe(o));
                    }
                }
            }
        } catch (InterruptedException e) {
            jobs.values().forEach(j -> j.cancel(true));
            Thread.currentThread().interrupt();
            throw new IOException("interrupted; the runs resume from their checkpoints when the sweep is run again", e);
        }
        return outcomes;
    }

    /**
     * The grow rule for one run: if it is a complete run to e_max that did not stop by its rule, has not reached the
     * cap, and is still improving (best at the last epoch boundary of its stable phase, or in the last quarter of its
     * epochs), the config that extends it to twice its epochs (at most the cap); else null.
     */
    static TrainConfig growth(SweepPlan.Run r, double cap, Configuration conf) throws IOException {
        if (!r.toMax()) return null;
        RunManifest m = Trainer.manifestOf(r.config().output(), conf);
        if (m == null || !m.complete() || m.stoppedByRule()) return null;
        TrainConfig cfg = TrainConfig.of(m);
        double e = cfg.epochs();
        if (e >= cap) return null;
        if (!Trainer.stableBoundaries(r.config().output(), conf).improving(e)) return null;
        return cfg.extendedTo(Math.min(2 * e, cap), cfg.study());
    }

    private static Row row(SweepPlan.Run r, SweepTask.Outcome o, RunManifest m, Configuration conf) throws IOException {
        String error = o.error();
        if (m == null) {
            return new Row(r.name(), "failed", o.action(), 0, r.uniqueTokens(), r.epochs(), 0, 0, Double.NaN, Double.NaN, Double.NaN,
                    error == null ? "no run directory was written" : error, r.axes());
        }
        String status = m.status();
        if (o.action().equals("failed") && status.equals("complete")) status = "failed"; // a complete run of another config
        RunManifest.End fin = m.end();
        // A run that died has no final figures yet; it stands where its latest checkpoint is.
        long steps = fin != null ? fin.step() : Trainer.checkpointedStep(r.config().output(), conf);
        if (!status.equals("complete") && error == null) error = "the run stopped at step " + steps + " without an error";
        double epochs = TrainConfig.of(m).epochs(); // grown past e_max, perhaps
        return new Row(r.name(), status, o.action(), m.model().papersN(), r.uniqueTokens(), epochs, steps, m.plan().steps(),
                fin == null || fin.valLoss() == null ? Double.NaN : fin.valLoss(), fin == null || fin.bestValLoss() == null ? Double.NaN : fin.bestValLoss(),
                fin == null ? Double.NaN : fin.tokensPerSecond(), error, r.axes());
    }

    /**
     * Refuses, before any study is built, a plan whose runs need more unique tokens than the tokenized corpus holds
     * after its validation set, naming each such run (for a grid of FLOP budgets: its model, budget and D). The
     * validation set's exact size depends on document boundaries, so the shard job checks the exact count again.
     */
    static void refuseWhatTheCorpusCannotHold(SweepPlan plan, FileSystem fs, Configuration conf) throws IOException {
        Path docs = new Path(plan.docs(), AtomicOutput.MANIFEST);
        if (!docs.getFileSystem(conf).exists(docs)) return; // not tokenized: the shard job says so
        JsonNode m;
        try (java.io.InputStream in = docs.getFileSystem(conf).open(docs)) {
            m = JSON.readTree(in);
        }
        long tokens = m.path("counts").path("tokens").asLong();
        List<String> tooBig = new ArrayList<>();
        long available = 0;
        for (SweepPlan.Run r : plan.runs()) {
            dev.quokka.dataprep.shard.StudyConfig s = plan.studies().stream().filter(x -> x.name().equals(r.study())).findFirst().orElseThrow().config();
            available = tokens - (s.valTokens() > 0 ? s.valTokens() : Math.round(s.valFraction() * tokens));
            long needs = r.toMax() || r.epochs() >= 1 ? r.uniqueTokens() : Math.round(r.uniqueTokens() * r.epochs());
            if (needs > available) tooBig.add(r.name() + " (" + Quantities.format(needs) + ")");
        }
        if (!tooBig.isEmpty()) {
            throw new IllegalArgumentException(tooBig.size() + " runs need more unique tokens than the corpus holds (" + Quantities.format(tokens) + " in "
                    + plan.docs() + ", about " + Quantities.format(available) + " after the validation set): " + String.join(", ", tooBig)
                    + "; use a larger corpus, or smaller budgets or larger models");
        }
    }

    /** The failure of a job Spark gave up on, in a line: its last attempt's exception. */
    static String reason(Throwable t) {
        String m = String.valueOf(t.getMessage());
        int recent = m.indexOf("most recent failure: ");
        if (recent >= 0) {
            String rest = m.substring(recent + "most recent failure: ".length());
            int cause = rest.indexOf("): ");
            String failed = m.substring(0, recent).replaceFirst("^Job aborted due to stage failure: Task \\d+ in stage \\S+ ", "").replaceAll("[,\\s]+$", "");
            m = failed + "; last: " + (cause >= 0 ? rest.substring(cause + 3) : rest);
        }
        int eol = m.indexOf('\n');
        return eol >= 0 ? m.substring(0, eol) : m;
    }

    /** The settings in which two configs differ, by name. */
    static String differences(TrainConfig a, TrainConfig b) {
        JsonNode x = JSON.valueToTree(a), y = JSON.valueToTree(b);
        List<String> diff = new ArrayList<>();
        for (Iterator<String> it = x.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!x.get(f).equals(y.get(f))) diff.add(f + " " + x.get(f) + " vs " + y.get(f));
        }
        return String.join(", ", diff);
    }

    private static SweepManifest manifest(SweepPlan plan, List<Row> rows) {
        String status = rows == null ? "running" : rows.stream().allMatch(r -> r.status.equals("complete")) ? "complete" : "incomplete";
        List<SweepManifest.Run> runs = new ArrayList<>();
        for (int i = 0; i < plan.runs().size(); i++) {
            SweepPlan.Run r = plan.runs().get(i);
            runs.add(new SweepManifest.Run(r.name(), r.study(), r.objective(), r.model(), r.uniqueTokens(), r.epochs(), r.toMax(), r.seed(),
                    rows == null ? null : rows.get(i).status, rows == null ? null : rows.get(i).error));
        }
        return new SweepManifest(FORMAT, status, plan.spec(), runs, BuildInfo.codeVersion());
    }

    static final String[] COLUMNS = {"run", "status", "action", "N", "U", "e", "steps", "val_loss", "best_val_loss", "tokens_per_s", "error"};

    /** The columns: {@link #COLUMNS}, with the options the grid varies (in its order) before the error. */
    private static String[] columns(List<Row> rows) {
        List<String> c = new ArrayList<>(List.of(COLUMNS));
        c.addAll(COLUMNS.length - 1, axes(rows));
        return c.toArray(String[]::new);
    }

    private static List<String> axes(List<Row> rows) {
        java.util.LinkedHashSet<String> axes = new java.util.LinkedHashSet<>();
        rows.forEach(r -> axes.addAll(r.axes.keySet()));
        return List.copyOf(axes);
    }

    private static String[] cells(Row r, List<String> axes) {
        List<String> c = new ArrayList<>(List.of(r.run, r.status, r.action, r.papersN == 0 ? "" : Long.toString(r.papersN), Long.toString(r.uniqueTokens),
                SweepPlan.label(r.epochs), r.steps + "/" + r.totalSteps, number(r.valLoss, "%.4f"), number(r.bestValLoss, "%.4f"),
                number(r.tokensPerSecond, "%.0f")));
        axes.forEach(a -> c.add(r.axes.getOrDefault(a, "")));
        c.add(r.error == null ? "" : r.error);
        return c.toArray(String[]::new);
    }

    static String csv(List<Row> rows) {
        List<String> axes = axes(rows);
        StringBuilder b = new StringBuilder(String.join(",", columns(rows))).append('\n');
        for (Row r : rows) {
            String[] c = cells(r, axes);
            for (int i = 0; i < c.length; i++) {
                if (i > 0) b.append(',');
                b.append(c[i].matches(".*[,\"\\n].*") ? '"' + c[i].replace("\"", "\"\"") + '"' : c[i]);
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** The summary as a Markdown table, for the console and summary.md. */
    public static String markdown(List<Row> rows) {
        List<String> axes = axes(rows);
        String[] columns = columns(rows);
        List<String[]> table = new ArrayList<>();
        table.add(columns);
        rows.forEach(r -> table.add(cells(r, axes)));
        int[] width = new int[columns.length];
        for (String[] c : table) for (int i = 0; i < c.length; i++) width[i] = Math.max(width[i], c[i].length());
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < table.size(); k++) {
            String[] c = table.get(k);
            b.append('|');
            for (int i = 0; i < c.length; i++) b.append(' ').append(pad(c[i], width[i], i >= 3 && i <= 9 && k > 0)).append(" |");
            b.append('\n');
            if (k == 0) {
                b.append('|');
                for (int i = 0; i < c.length; i++) b.append(i >= 3 && i <= 9 ? "-".repeat(width[i] + 1) + ":|" : "-".repeat(width[i] + 2) + "|");
                b.append('\n');
            }
        }
        return b.toString();
    }

    private static String pad(String s, int width, boolean right) {
        String fill = " ".repeat(width - s.length());
        return right ? fill + s : s + fill;
    }

    private static String number(double v, String format) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, format, v);
    }
}
