package dev.quokka.jobs.cli;

import dev.quokka.dataprep.tokenize.TokenizeConfig;
import dev.quokka.jobs.runtime.TextFiles;
import dev.quokka.jobs.study.StudyPipeline;
import dev.quokka.jobs.study.StudyPreset;
import dev.quokka.jobs.study.SweepTask;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The README's first command: the whole pipeline on a bundled corpus, in Spark local mode. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a whole repeated-epoch study end to end on the bundled corpus (seven public-domain books from Project "
                + "Gutenberg, 4.4 MB), in Spark local mode: train a BPE vocabulary, tokenize, build and verify studies for two "
                + "unique budgets, sweep DLM and AR on two shapes to 16 epochs, fit Quokka's law, plan, and write report.html.",
                "About 9 minutes on 2 cores (--quick: about one). Run it again to continue: complete stages are skipped."})
public final class DemoCommand implements Callable<Integer> {
    /** The books under src/main/resources/demo/corpus (their sources: src/main/resources/demo/README.md). */
    static final List<String> BOOKS = List.of("austen-emma", "austen-persuasion", "carroll-alice", "chesterton-ball-and-cross",
            "chesterton-father-brown", "chesterton-thursday", "melville-moby-dick");

    @Option(names = "--output", defaultValue = "demo-output", description = "Where the demo writes (default: ${DEFAULT-VALUE})") String output;
    @Option(names = "--quick", description = "A smoke test of every stage on a tiny grid (about a minute)") boolean quick;
    @Option(names = "--keep-going", description = "Analyse the runs that completed even if others failed (the exit code is still 1)") boolean keepGoing;
    @Option(names = "--inject-fault", hidden = true, paramLabel = SweepTask.Fault.SYNTAX,
            description = "Testing: the first ATTEMPTS (default 1) attempts of RUN's task die just before STEP; with :halt, "
                    + "their JVM halts, as kill -9 would") String injectFault;

    @Override
    public Integer call() throws Exception {
        Path corpus = extractCorpus(Path.of(output, "corpus"));
        var c = new StudyPipeline.Corpus(List.of(corpus.toAbsolutePath().toString()), TokenizeConfig.Format.TEXT, true, "text");
        var settings = new StudyPipeline.Settings(output, null, 1, keepGoing, SweepTask.Fault.parse(injectFault));
        return StudyCommand.run(StudyPreset.named(quick ? "demo-quick" : "demo"), c, settings, false, quick ? "quokka demo --quick" : "quokka demo", System.out);
    }

    /** Copies the bundled books out of the jar, so that Spark reads them like any corpus. */
    static Path extractCorpus(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String book : BOOKS) {
            String name = book + ".txt.gz";
            try (InputStream in = DemoCommand.class.getResourceAsStream("/demo/corpus/" + name)) {
                if (in == null) throw new IllegalStateException("the bundled corpus is missing " + name + " (a broken build?)");
                TextFiles.writeBytesAtomically(dir.resolve(name), in::transferTo);
            }
        }
        return dir;
    }
}
