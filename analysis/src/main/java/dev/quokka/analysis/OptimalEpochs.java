package dev.quokka.analysis;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * e_opt(N, U) of a fitted Quokka law for each (N, U) cell of its data, with what the data themselves say: an interval
 * from the bootstrap's laws, and the last epoch observed. Where every run of a cell was still improving at its last
 * epoch, the data say only that e_opt lies beyond it, and the reading says so: "> 16" (the fit's own value beside it).
 */
public final class OptimalEpochs {
    /**
     * @param interval null without bootstrap draws
     * @param improvingToTheEnd every run of the cell had its lowest loss at its last epoch point
     * @param reading e_opt as the data support it: the fit's value, or "> e_last (fit: value)"
     */
    public record Cell(double n, double u, double eOpt, Bootstrap.Interval interval, double eLast, boolean improvingToTheEnd, String reading) {}

    private OptimalEpochs() {}

    /** @param draws the bootstrap's constants, one row per resample in the law's order, or null */
    public static List<Cell> cells(QuokkaLaw law, List<FitPoint> points, double[][] draws, double level) {
        Map<String, List<FitPoint>> byCell = new LinkedHashMap<>();
        List<FitPoint> sorted = new ArrayList<>(points);
        sorted.sort(Comparator.comparingDouble(FitPoint::n).thenComparingDouble(FitPoint::u).thenComparingDouble(FitPoint::epochs));
        for (FitPoint p : sorted) byCell.computeIfAbsent(p.n() + "/" + p.u(), k -> new ArrayList<>()).add(p);
        List<Cell> out = new ArrayList<>();
        for (List<FitPoint> cell : byCell.values()) {
            double n = cell.get(0).n(), u = cell.get(0).u();
            double eLast = cell.stream().mapToDouble(FitPoint::epochs).max().orElseThrow();
            boolean improving = true;
            for (List<FitPoint> run : Report.runs(cell).values()) {
                FitPoint last = run.stream().max(Comparator.comparingDouble(FitPoint::epochs)).orElseThrow();
                FitPoint best = run.stream().min(Comparator.comparingDouble(FitPoint::loss)).orElseThrow();
                improving &= best == last;
            }
            double e = law.optimalEpochs(n, u);
            Bootstrap.Interval interval = null;
            if (draws != null && draws.length > 1) {
                double[] sample = new double[draws.length];
                for (int r = 0; r < draws.length; r++) sample[r] = of(draws[r]).optimalEpochs(n, u);
                interval = Bootstrap.interval(sample, level);
            }
            String reading = improving ? "> " + number(eLast) + " (fit: " + number(e) + ")" : number(e);
            out.add(new Cell(n, u, e, interval, eLast, improving, reading));
        }
        return out;
    }

    /** Three significant digits, and a whole number as one. */
    static String number(double x) {
        if (x == Math.rint(x) && Math.abs(x) < 1e15) return Long.toString((long) x);
        return String.format("%.3g", x);
    }

    /** A Quokka law from its constants in {@link QuokkaLaw#constants()} order. */
    static QuokkaLaw of(double[] c) {
        return new QuokkaLaw(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9]);
    }
}
