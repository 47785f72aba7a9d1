package dev.quokka.jobs.bench;

import dev.quokka.analysis.Bootstrap;
import dev.quokka.analysis.FitData;
import dev.quokka.analysis.FitPoint;
import dev.quokka.analysis.Fitter;
import dev.quokka.analysis.QuokkaForm;
import dev.quokka.analysis.QuokkaLaw;
import dev.quokka.analysis.Synthetic;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "fit", mixinStandardHelpOptions = true,
        description = "Time a Quokka-form fit at Quokka's scale: synthetic per-epoch points from the published DLM law "
                + "(with E = 0.5) and 1%% noise, runs over a grid of N and U, evaluated at every epoch boundary.")
final class FitBench implements Callable<Integer> {
    @Option(names = "--runs-n", defaultValue = "20", description = "Model sizes, 10M to 2B (default: ${DEFAULT-VALUE})") int sizes;
    @Option(names = "--runs-u", defaultValue = "10", description = "Unique budgets, 10M to 10B (default: ${DEFAULT-VALUE})") int budgets;
    @Option(names = "--epochs", defaultValue = "125", description = "Evaluations per run, at epochs 1, 2, ... (default: ${DEFAULT-VALUE})") int epochs;
    @Option(names = "--bootstrap", defaultValue = "0", description = "Bootstrap resamples to time as well (default: none)") int resamples;

    @Override
    public Integer call() {
        QuokkaLaw truth = new QuokkaLaw(0.5, 1535.23, 0.42, 54.21, 0.13, 1.49, 0.3955, 254.35, 0.39, 0.55);
        double[] e = new double[epochs];
        for (int i = 0; i < epochs; i++) e[i] = i + 1;
        List<FitPoint> points = Synthetic.points(truth, Synthetic.logSpace(1e7, 2e9, sizes), Synthetic.logSpace(1e7, 1e10, budgets), e, 0.01, 1);
        FitData data = new FitData(points);
        QuokkaForm form = new QuokkaForm();
        System.out.printf("quokka bench fit: %,d points in %,d runs; %d grid points, L-BFGS from the best %d; %d threads%n",
                data.size(), data.runs(), form.grid().size(), Fitter.STARTS, Runtime.getRuntime().availableProcessors());
        long t0 = System.nanoTime();
        Fitter.Fit fit = Fitter.fit(form, data);
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("fit: %.2f s, objective %.6g%n", seconds, fit.objective());
        Map<String, Double> got = fit.law().constants();
        truth.constants().forEach((k, v) -> System.out.printf("  %-6s true %10.4g  fitted %10.4g%n", k, v, got.get(k)));
        if (resamples > 0) {
            t0 = System.nanoTime();
            Bootstrap.intervals(fit, data, resamples, 1, 0.95);
            System.out.printf("bootstrap: %d resamples in %.2f s%n", resamples, (System.nanoTime() - t0) / 1e9);
        }
        return 0;
    }
}
