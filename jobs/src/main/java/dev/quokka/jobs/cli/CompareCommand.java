package dev.quokka.jobs.cli;

import dev.quokka.analysis.Comparison;
import dev.quokka.analysis.RunPoints;
import dev.quokka.jobs.runtime.SparkSessions;
import dev.quokka.jobs.study.ComparisonOutput;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compare runs by the training options they differ in (Quokka's modeling and optimisation studies): for each "
                + "objective, N, U and value of the --by axes, the final and best validation loss, mean over the cell's runs "
                + "(seeds) with a 95%% Student-t interval when there are several; for a numeric axis such as lr or batch-tokens, "
                + "each objective's best value and whether AR's is within one grid step of the DLM's (does it transfer?).",
                "Runs are found under the given directories or globs and read by their documented format (run.json and "
                + "metrics/eval.csv). Writes <output>/compare.md, cells.csv, transfer.csv, report.html with its plots (final "
                + "loss against the first axis; every run's curve coloured by it) and _manifest.json."})
public final class CompareCommand implements Callable<Integer> {
    @Option(names = "--runs", required = true, split = ",", description = "Run directories or parents of them, paths or globs") List<String> runs;
    @Option(names = "--by", required = true, split = ",", description = "The axes, by quokka train's option names: ${COMPLETION-CANDIDATES}",
            completionCandidates = Axes.class) List<String> by;
    @Option(names = "--output", required = true, description = "The comparison's directory") String output;

    static final class Axes extends ArrayList<String> {
        Axes() {
            super(Comparison.AXES.keySet());
        }
    }

    @Override
    public Integer call() throws Exception {
        for (String a : by) {
            if (!Comparison.AXES.containsKey(a)) throw new IllegalArgumentException("--by " + a + " is not an axis; axes: " + String.join(", ", Comparison.AXES.keySet()));
        }
        List<String> dirs = RunPoints.find(runs, new Configuration());
        ComparisonOutput.Written w = ComparisonOutput.write(SparkSessions.get("quokka compare"), dirs, by, output, String.join(", ", runs));
        System.out.print(w.markdown());
        System.out.println("wrote " + output);
        return 0;
    }
}
