package dev.quokka.jobs.study;

import dev.quokka.analysis.Comparison;
import dev.quokka.analysis.ComparisonReport;
import dev.quokka.analysis.Table;
import dev.quokka.dataprep.provenance.AtomicOutput;
import dev.quokka.dataprep.provenance.BuildInfo;
import dev.quokka.dataprep.provenance.CompareManifest;
import dev.quokka.dataprep.provenance.FitManifest;
import dev.quokka.dataprep.provenance.ManifestJson;
import dev.quokka.jobs.options.FitOptions;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/**
 * A comparison of runs by their training options, written as `quokka compare` writes it: compare.md, cells.csv,
 * transfer.csv, report.html with its plots, and the manifest, committed atomically. Shared by `quokka compare` and
 * the ablation studies.
 */
public final class ComparisonOutput {
    private ComparisonOutput() {}

    /** The comparison and the Markdown it wrote. */
    public record Written(Comparison.Result result, String markdown) {}

    /**
     * Compares {@code dirs} (run directories) by {@code by} and writes the result to {@code output}.
     *
     * @param source how the runs were named, for the Markdown
     */
    public static Written write(SparkSession spark, List<String> dirs, List<String> by, String output, String source) throws IOException {
        AtomicOutput out = new AtomicOutput(output, new Configuration());
        Comparison.Result r = Comparison.compare(spark, dirs, by);
        if (r.cells().isEmpty()) throw new IllegalArgumentException(source + ": no run has an evaluation after its start");
        StringBuilder md = new StringBuilder("# Runs compared by " + String.join(" and ", by) + "\n\n");
        md.append(dirs.size()).append(" runs under ").append(source).append(", in ").append(r.cells().size()).append(" cells.\n\n");
        Table cells = Comparison.cellTable(r), transfer = Comparison.transferTable(r);
        md.append(cells.markdown()).append('\n');
        if (transfer != null) md.append(transfer.markdown()).append('\n');
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
        } catch (RuntimeException | IOException e) {
            out.abort();
            throw e;
        }
        return new Written(r, md.toString());
    }
}
