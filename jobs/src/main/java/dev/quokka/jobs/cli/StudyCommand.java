package dev.quokka.jobs.cli;

import dev.quokka.dataprep.tokenize.TokenizeConfig;
import dev.quokka.dataprep.tokenize.TokenizerFiles;
import dev.quokka.jobs.runtime.SparkSessions;
import dev.quokka.jobs.study.StudyCost;
import dev.quokka.jobs.study.StudyPipeline;
import dev.quokka.jobs.study.StudyPreset;
import dev.quokka.jobs.study.SweepPlan;
import dev.quokka.jobs.study.SweepTask;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "study", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a whole data-constrained study with one command: train a BPE vocabulary (or use --tokenizer), tokenize "
                + "the corpus, build and verify one study per unique budget U, sweep DLM and AR runs to e_max evaluated at every "
                + "epoch, fit Quokka's law to each objective, plan, and write report.html. It first prints what it will cost "
                + "(runs, tokens, FLOPs and an ETA from training steps timed on this machine).",
                "The compute-constrained presets (cpu-isoflop, isoflop-quick) run Quokka's other study the same way: one run per model "
                + "and FLOP budget on D = C / 6N tokens seen once, IsoFLOP profiles (approach 1) for each objective, the allocation "
                + "planned from the DLM fit against AR's.",
                "The ablation presets (cpu-ablations, ablations-quick) run Quokka's third study: experiments over the training "
                + "choices (learning rate and batch size for DLM and AR, kernel, schedule, ELBO or MaskGIT, weight decay), each "
                + "compared by the options it varies (as quokka compare does) and read against Quokka's findings.",
                "Run it again to continue: complete stages are skipped, and interrupted runs resume from their checkpoints.",
                "Presets: demo, demo-quick, cpu-small (about two hours on 2 cores), cpu-turn (a CPU study whose DLM runs turn), "
                + "cpu-isoflop and isoflop-quick (compute-constrained), cluster-small and cluster-quokka (Quokka's grid shape; run "
                + "under spark-submit, with --tokenizer)."})
public final class StudyCommand implements Callable<Integer> {
    @Option(names = "--preset", required = true, description = "The grid: ${COMPLETION-CANDIDATES}", completionCandidates = Names.class) String preset;
    @Option(names = "--corpus", required = true, split = ",", description = "Text to study: paths, globs or directories on any Hadoop FileSystem") List<String> corpus;
    @Option(names = "--format", defaultValue = "text", description = "text, lines, jsonl or parquet, as for quokka tokenize (default: ${DEFAULT-VALUE})") String format;
    @Option(names = "--whole-files", description = "text: one document per file (default: one per paragraph)") boolean wholeFiles;
    @Option(names = "--text-field", defaultValue = "text", description = "jsonl field or Parquet column (default: ${DEFAULT-VALUE})") String textField;
    @Option(names = "--tokenizer", description = "Use this tokenizer.json instead of training one (the cluster presets need it)") String tokenizer;
    @Option(names = "--output", required = true, description = "The study directory") String output;
    @Option(names = "--seed", defaultValue = "1", description = "Orders the studies and seeds the runs (default: ${DEFAULT-VALUE})") long seed;
    @Option(names = "--keep-going", description = "Analyse the runs that completed even if others failed (the exit code is still 1)") boolean keepGoing;
    @Option(names = "--dry-run", description = "Print the grid and what it will cost, and stop") boolean dryRun;
    @Option(names = "--inject-fault", hidden = true, paramLabel = SweepTask.Fault.SYNTAX,
            description = "Testing: the first ATTEMPTS (default 1) attempts of RUN's task die just before STEP; with :halt, "
                    + "their JVM halts, as kill -9 would") String injectFault;

    static final class Names extends java.util.ArrayList<String> {
        Names() {
            super(StudyPreset.ALL.keySet());
        }
    }

    @Override
    public Integer call() throws Exception {
        TokenizeConfig.Format f = TokenizeCommand.format(format);
        var c = new StudyPipeline.Corpus(corpus, f, f == TokenizeConfig.Format.TEXT && !wholeFiles, textField);
        var settings = new StudyPipeline.Settings(output, tokenizer, seed, keepGoing, SweepTask.Fault.parse(injectFault));
        return run(StudyPreset.named(preset), c, settings, dryRun, "quokka study --preset " + preset, System.out);
    }

    /** The study, after its cost; shared with {@code quokka demo}. {@code app}: the command as the banner names it. */
    static int run(StudyPreset preset, StudyPipeline.Corpus corpus, StudyPipeline.Settings settings, boolean dryRun, String app,
                   PrintStream console) throws Exception {
        StudyPipeline pipeline = new StudyPipeline(preset, corpus, settings, console);
        String tokenizer = settings.tokenizer();
        SweepPlan plan = pipeline.plan();
        SparkSession spark = SparkSessions.get(app, conf -> SweepCommand.configure(conf, plan, 3));
        int slots = Math.max(1, spark.sparkContext().defaultParallelism() / plan.cpus());
        int vocab = tokenizer != null ? TokenizerFiles.load(tokenizer, spark.sparkContext().hadoopConfiguration()).vocabSize() : preset.vocabSize();
        console.printf("%s: %s%n", app, preset.purpose());
        if (preset.ablation()) {
            for (StudyPreset.Experiment e : preset.experiments()) {
                console.printf("  %s: %s x models %s x %s, U %s for %s epochs, %d seed(s); L = %d, V = %d%n", e.name(), e.objectives(), e.models(),
                        e.axes(), e.uniqueTokens(), e.epochs(), e.seeds(), preset.seqLen(), vocab);
            }
        } else if (preset.computeConstrained()) {
            console.printf("  grid: DLM and AR x models %s x FLOP budgets %s, each run on D = C / 6N tokens seen once; L = %d, V = %d%n", preset.models(),
                    preset.budgets(), preset.seqLen(), vocab);
        } else {
            console.printf("  grid: DLM and AR x models %s x U %s, to %d epochs; L = %d, V = %d%n", preset.models(), preset.uniqueTokens(),
                    preset.eMax(), preset.seqLen(), vocab);
        }
        console.print(StudyCost.estimate(plan, vocab, plan.cpus(), slots).describe(slots));
        if (dryRun) return 0;
        StudyPipeline.Outcome o = pipeline.run(spark);
        console.println();
        console.print(o.summary());
        if (o.report() != null) console.printf("%nThe report: %s%n", o.report());
        return o.exitCode();
    }
}
