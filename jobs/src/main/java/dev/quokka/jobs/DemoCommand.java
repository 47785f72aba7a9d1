package dev.quokka.jobs;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** The end-to-end study. Until its stages exist it says what it will do, and that it does not do it yet. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run a whole repeated-epoch study end to end on the bundled corpus, in Spark local mode.")
final class DemoCommand implements Callable<Integer> {
    static final String[] STAGES = {
        "train a small BPE vocabulary with the Spark job",
        "tokenize the bundled corpus",
        "build studies for two unique-token budgets with a fixed validation set, and verify them",
        "sweep DLM and AR on two small shapes, warmup-stable runs evaluated at every epoch",
        "aggregate the runs and fit the data-constrained scaling laws",
        "plan: optimal epochs and sizes from the fit",
        "write report.html",
    };

    @Override
    public Integer call() {
        System.out.println("quokka demo will run these stages on the bundled corpus in Spark local mode:");
        for (int i = 0; i < STAGES.length; i++) System.out.printf("  %d. %s%n", i + 1, STAGES[i]);
        System.out.println();
        System.out.println("The demo itself is not implemented yet. Stages 2 and 3 exist as their own commands:");
        System.out.println("`./quokka tokenize --help`, `./quokka shard --help` and `./quokka verify --help`.");
        return 0;
    }
}
