package dev.quokka.jobs.study;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quokka.analysis.ComputeAllocation;
import dev.quokka.analysis.FitPoint;
import dev.quokka.analysis.IsoFlop;
import dev.quokka.analysis.IsoFlopReport;
import dev.quokka.analysis.Quantities;
import dev.quokka.analysis.Report;
import dev.quokka.analysis.StudyReport;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What a compute-constrained study found: every run's final loss by model and budget, each objective's IsoFLOP fit
 * (a, b, k_N, k_D with intervals, and each budget's minimum or why it was excluded), and how much more data the DLM
 * wants than AR at each budget, beside Quokka's and Chinchilla's published allocations. Rendered as Markdown
 * (printed, and summary.md) and as the study's report.html with each objective's IsoFLOP profiles.
 */
record IsoFlopSummary(String markdown, Map<String, byte[]> reportFiles) {
    /** The constants in the order of Quokka's Table 1. */
    private static final List<String> CONSTANTS = List.of("a", "b", "k_N", "k_D");

    /**
     * @param points    every run's final point (N: the papers' non-embedding count)
     * @param notFitted objectives without a fit, and why
     */
    static IsoFlopSummary of(StudyPreset preset, List<FitPoint> points, Map<String, String> notFitted, Path out, FileSystem fs) throws IOException {
        Map<String, JsonNode> fits = StudySummary.fits(out, fs);
        String md = markdown(preset, points, fits, notFitted);
        List<Report.Figure> figures = new ArrayList<>();
        Map<String, String> links = new LinkedHashMap<>();
        for (String objective : StudyPipeline.OBJECTIVES) {
            String caption = objective.toUpperCase() + ": final validation loss against N at each FLOP budget, each budget's parabola in ln N and its "
                    + "minimum where one is bracketed" + (fits.containsKey(objective) ? "." : " (no allocation could be fitted: see below).");
            List<FitPoint> mine = points.stream().filter(p -> objective.equals(p.objective())).toList();
            if (!mine.isEmpty()) figures.add(new Report.Figure(objective + "-isoflop-profiles.png", IsoFlopReport.profilesPng(mine, IsoFlop.DEFAULT_TOLERANCE), caption));
            if (fits.containsKey(objective)) {
                links.put("analysis/" + objective + "/report.html", "the " + objective.toUpperCase() + " fit's report (profiles and the fitted allocation)");
            }
        }
        if (fs.exists(new Path(out, "plan/plan.md"))) links.put("plan/plan.md", "the plan: Tables 1 and 2 from the DLM fit, and its data against AR's");
        links.put("sweep/summary.md", "every run of the sweep");
        links.put("sweep.yaml", "the grid, as a quokka sweep spec");
        return new IsoFlopSummary(md, StudyReport.withFigures("quokka study " + preset.name(), md, figures, links));
    }

    static String markdown(StudyPreset preset, List<FitPoint> points, Map<String, JsonNode> fits, Map<String, String> notFitted) {
        StringBuilder s = new StringBuilder("# quokka study " + preset.name() + ": the compute-optimal allocation of the DLM and of AR\n\n");
        s.append(String.format("Final validation loss of %d runs, one per objective, model and FLOP budget C (%s), each on D = C / 6N fresh "
                        + "tokens with a cosine schedule to its end; N is the papers' non-embedding count (Quokka's Section 3).%n%n",
                points.stream().map(FitPoint::run).distinct().count(), String.join(", ", preset.budgets())));
        s.append(lossTable(points, preset.budgets()));
        s.append("Approach 1, IsoFLOP profiles: a parabola in ln N per budget, its minimum N_opt(C), then N_opt = k_N C^a and D_opt = k_D C^b "
                + "(95% bootstrap intervals over the runs within each budget).\n\n");
        s.append("| objective | a | b | k_N | k_D | budgets fitted |\n|---|---:|---:|---:|---:|---:|\n");
        for (String objective : StudyPipeline.OBJECTIVES) {
            JsonNode f = fits.get(objective);
            if (f == null) {
                s.append("| ").append(objective).append(" | no fit: ").append(notFitted.getOrDefault(objective, "no points")).append(" | | | | |\n");
                continue;
            }
            s.append("| ").append(objective);
            for (String c : CONSTANTS) s.append(" | ").append(withInterval(f, c));
            long fitted = 0, all = 0;
            for (JsonNode b : f.path("budgets")) {
                all++;
                if (!b.has("excluded")) fitted++;
            }
            s.append(" | ").append(fitted).append(" of ").append(all).append(" |\n");
        }
        s.append(String.format("| Quokka's DLM (Table 1) | %.3f | %.3f | %.4g | %.4g | |%n", published("quokka-dlm-isoflop", "a"),
                published("quokka-dlm-isoflop", "b"), published("quokka-dlm-isoflop", "k_N"), published("quokka-dlm-isoflop", "k_D")));
        s.append(String.format("| Chinchilla (AR) | %.3f | %.3f | %.4g | %.4g | |%n%n", published("chinchilla", "a"), published("chinchilla", "b"),
                published("chinchilla", "k_N"), published("chinchilla", "k_D")));
        s.append(minima(fits));
        s.append(dataRatio(preset, fits));
        return s.toString();
    }

    /** Every run's final loss: a row per model (its N), a column per budget, DLM / AR in each cell. */
    static String lossTable(List<FitPoint> points, List<String> grid) {
        TreeMap<Double, Map<Double, Map<String, Double>>> byN = new TreeMap<>();
        TreeSet<Double> budgets = new TreeSet<>();
        for (FitPoint p : points) {
            double c = budget(p, grid);
            budgets.add(c);
            byN.computeIfAbsent(p.n(), k -> new TreeMap<>()).computeIfAbsent(c, k -> new LinkedHashMap<>()).put(p.objective(), p.loss());
        }
        StringBuilder s = new StringBuilder("Final validation loss, DLM / AR (nats per token):\n\n| N |");
        for (double c : budgets) s.append(" C = ").append(SweepPlan.flops(c)).append(" |");
        s.append("\n|---:|").append("---:|".repeat(budgets.size())).append('\n');
        byN.forEach((n, row) -> {
            s.append("| ").append(Quantities.format(n)).append(" |");
            for (double c : budgets) {
                Map<String, Double> cell = row.get(c);
                s.append(' ').append(cell == null ? "" : loss(cell.get("dlm")) + " / " + loss(cell.get("ar"))).append(" |");
            }
            s.append('\n');
        });
        return s.append('\n').toString();
    }

    /** Each objective's per-budget minima, or why a budget was left out. */
    private static String minima(Map<String, JsonNode> fits) {
        if (fits.isEmpty()) return "";
        StringBuilder s = new StringBuilder("Each budget's minimum (N_opt with its 95% interval, D_opt = C / 6 N_opt):\n\n"
                + "| objective | C | N_opt | interval | D_opt | loss at N_opt |\n|---|---:|---:|---:|---:|---:|\n");
        fits.forEach((objective, f) -> {
            for (JsonNode b : f.path("budgets")) {
                String c = SweepPlan.flops(Double.parseDouble(String.format("%.3g", b.path("flops").asDouble())));
                if (b.has("excluded")) {
                    s.append(String.format("| %s | %s | excluded: %s | | | |%n", objective, c, b.path("excluded").asText()));
                } else {
                    JsonNode in = b.path("n_opt_interval");
                    s.append(String.format("| %s | %s | %s | %s | %s | %.4f |%n", objective, c, Quantities.format(b.path("n_opt").asDouble()),
                            in.isArray() ? Quantities.format(in.get(0).asDouble()) + " .. " + Quantities.format(in.get(1).asDouble()) : "-",
                            Quantities.format(b.path("d_opt").asDouble()), b.path("loss").asDouble()));
                }
            }
        });
        return s.append('\n').toString();
    }

    /**
     * D_opt of the DLM over AR's at each budget of the grid: from the two fitted allocations, and from the two
     * objectives' own minima where both bracketed one; Quokka reports the DLM 2-5x more data-hungry.
     */
    private static String dataRatio(StudyPreset preset, Map<String, JsonNode> fits) {
        JsonNode dlm = fits.get("dlm"), ar = fits.get("ar");
        if (dlm == null || ar == null) return "";
        ComputeAllocation d = allocation(dlm), a = allocation(ar);
        Map<Double, Double> dlmMin = observed(dlm), arMin = observed(ar);
        StringBuilder s = new StringBuilder("How much more data the DLM wants than AR at each budget (D_opt ratio, DLM over AR; Quokka reports "
                + "2-5x):\n\n| C | from the fits | from the budget's two minima |\n|---:|---:|---:|\n");
        for (String budget : preset.budgets()) {
            double c = Quantities.parse(budget);
            Double dlmD = near(dlmMin, c), arD = near(arMin, c), seen = dlmD != null && arD != null ? dlmD / arD : null;
            s.append(String.format("| %s | %.2f | %s |%n", budget, d.dOpt(c) / a.dOpt(c), seen == null ? "-" : String.format("%.2f", seen)));
        }
        return s.append('\n').toString();
    }

    private static ComputeAllocation allocation(JsonNode fit) {
        JsonNode c = fit.path("law").path("constants");
        return new ComputeAllocation(c.path("k_N").asDouble(), c.path("a").asDouble(), c.path("k_D").asDouble(), c.path("b").asDouble());
    }

    /** A fit's bracketed minima: D_opt by budget. */
    private static Map<Double, Double> observed(JsonNode fit) {
        Map<Double, Double> m = new TreeMap<>();
        for (JsonNode b : fit.path("budgets")) if (!b.has("excluded")) m.put(b.path("flops").asDouble(), b.path("d_opt").asDouble());
        return m;
    }

    /** The value of the fitted budget within the grouping tolerance of {@code c} (a budget's runs' C differs from the grid's by step rounding). */
    private static Double near(Map<Double, Double> m, double c) {
        for (var e : m.entrySet()) if (Math.abs(e.getKey() / c - 1) < IsoFlop.DEFAULT_TOLERANCE) return e.getValue();
        return null;
    }

    private static String withInterval(JsonNode fit, String constant) {
        double v = fit.path("law").path("constants").path(constant).asDouble();
        JsonNode in = fit.path("intervals").path(constant);
        return in.isArray() ? String.format("%.3g (%.3g .. %.3g)", v, in.get(0).asDouble(), in.get(1).asDouble()) : String.format("%.3g", v);
    }

    private static double published(String name, String constant) {
        return ComputeAllocation.published(name).constants().get(constant);
    }

    /** The grid's budget nearest a run's C = 6 N D, which differs from it by the rounding of D to whole steps. */
    private static double budget(FitPoint p, List<String> grid) {
        double c = 6 * p.n() * p.d();
        return grid.stream().mapToDouble(Quantities::parse).boxed().min(java.util.Comparator.comparingDouble(b -> Math.abs(Math.log(c / b))))
                .orElse(c);
    }

    private static String loss(Double l) {
        return l == null ? "-" : String.format("%.3f", l);
    }
}
