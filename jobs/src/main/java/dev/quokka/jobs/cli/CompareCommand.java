package dev.quokka.jobs.cli;

import dev.quokka.analysis.Comparison;
import dev.quokka.analysis.ComparisonReport;
import dev.quokka.analysis.RunPoints;
import dev.quokka.analysis.Table;
import dev.quokka.dataprep.provenance.AtomicOutput;
import dev.quokka.dataprep.provenance.BuildInfo;
import dev.quokka.dataprep.provenance.CompareManifest;
import dev.quokka.dataprep.provenance.FitManifest;
import dev.quokka.dataprep.provenance.ManifestJson;
import dev.quokka.jobs.options.FitOptions;
import dev.quokka.jobs.runtime.SparkSessions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
        AtomicOutput out = new AtomicOutput(output, new Configuration());
        List<String> dirs = RunPoints.find(runs, new Configuration());
        Comparison.Result r = Comparison.compare(SparkSessions.get("quokka compare"), dirs, by);
        if (r.cells().isEmpty()) throw new IllegalArgumentException(String.join(", ", runs) + ": no run has an evaluation after its start");
        StringBuilder md = new StringBuilder("# Runs compared by " + String.join(" and ", by) + "\n\n");
        md.append(dirs.size()).append(" runs under ").append(String.join(", ", runs)).append(", in ").append(r.cells().size()).append(" cells.\n\n");
        Table cells = Comparison.cellTable(r), transfer = Comparison.transferTable(r);
        md.append(cells.markdown()).append('\n');
        if (transfer != null) md.append(transfer.markdown()).append('\n');
        System.out.print(md);
        List<String> read = new ArrayList<>();
        for (String d : dirs) read.addAll(List.of(d + "/run.json", d + "/metrics/eval.csv"));
        List<FitManifest.Input> inputs = FitOptions.checksums(read);
        out.begin();
        try {
            out.writeText("compare.md", md.toString());
            out.writeText("cells.csv", cells.csv());
            if (transfer != null) out.writeText("transfer.csv", transfer.csv());
            for (Map.Entry<String, byte[]> f : ComparisonReport.files("quokka compare by " + String.join(", ", by), r, md.toString()).entrySet()) {
                out.writeBytes(f.getKey(), f.getValue());
            }
            out.commit(ManifestJson.tree(new CompareManifest("quokka.compare/1", by, dirs.size(), r.cells().size(), inputs, BuildInfo.codeVersion())));
        } catch (RuntimeException | java.io.IOException e) {
            out.abort();
            throw e;
        }
        System.out.println("wrote " + out.target());
        return 0;
    }
}
