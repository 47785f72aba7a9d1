package dev.quokka.jobs.cli;

import dev.quokka.analysis.PointsTable;
import dev.quokka.jobs.options.FitOptions;
import dev.quokka.jobs.runtime.SparkSessions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "fit", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fit a scaling law to a table of points (CSV with a header, or Parquet; columns N, U, D, loss and "
                + "optionally run and objective): Huber (delta 1e-3) on log loss, L-BFGS from the form's screened grid, "
                + "and bootstrap intervals by run. Rows with missing, NaN or non-positive values are excluded and counted.",
                "--law isoflop is Quokka's approach 1 on compute-constrained runs (U may be left out: each token seen once): "
                + "runs grouped by budget C = 6 N D, a parabola in ln N per budget, N_opt = k_N C^a and D_opt = k_D C^b.",
                "Writes <output>/fit.json (law, constants, intervals, objective, counts, input checksums, code version) and "
                + "fit.md, and report.html with its PNG plots; `quokka plan --fit <output>` plans with the result."})
public final class FitCommand implements Callable<Integer> {
    @Option(names = "--points", required = true, description = "The table of points") String points;
    @Option(names = "--column", description = "The table's column for a role where it is not named for it: "
            + "ROLE=NAME, roles run, objective, n, u, d, loss (e.g. --column loss=eval_loss --column n=params)") Map<String, String> columns = new LinkedHashMap<>();
    @Option(names = "--n-convention", defaultValue = "as given", description = "How the table counts N, recorded in fit.json (default: ${DEFAULT-VALUE})") String nConvention;
    @Option(names = "--output", required = true, description = "The fit's directory") String output;
    @Mixin FitOptions fit;

    @Override
    public Integer call() throws Exception {
        fit.validate();
        PointsTable.Result table = PointsTable.read(SparkSessions.get("quokka fit"), points, columns, fit.where, fit.law.equals("isoflop"));
        String source = columns.isEmpty() ? points : points + " (columns " + columns + ")";
        fit.fitAndWrite(table, source, nConvention, FitOptions.checksums(List.of(points)), output, out -> { });
        return 0;
    }
}
