package dev.quokka.jobs.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quokka.analysis.Bootstrap;
import dev.quokka.analysis.ChinchillaLaw;
import dev.quokka.analysis.FitData;
import dev.quokka.analysis.FitPoint;
import dev.quokka.analysis.Law;
import dev.quokka.analysis.Quantities;
import dev.quokka.analysis.QuokkaLaw;
import dev.quokka.analysis.StudyReport;
import dev.quokka.analysis.TwoStage;
import dev.quokka.dataprep.provenance.ManifestJson;
import dev.quokka.dataprep.provenance.RunManifest;
import dev.quokka.training.TrainConfig;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What a study found, from its epoch points and its fits: each run's best epoch and loss, the fitted constants with
 * their intervals, and e_opt from each fit beside the observed best epochs. Rendered as Markdown (printed, and
 * summary.md) and as the study's report.html.
 */
record StudySummary(String markdown, Map<String, byte[]> reportFiles) {
    /** A run's best epoch boundary. */
    record Best(String run, String objective, String model, double n, double u, double bestEpochs, double bestLoss, double lastEpochs,
                String ended) {
        Best(String run, String objective, String model, double n, double u, double bestEpochs, double bestLoss, double lastEpochs) {
            this(run, objective, model, n, u, bestEpochs, bestLoss, lastEpochs, "");
        }
    }

    /** Intervals wider than this factor (high / low) make a constant loose. */
    static final double LOOSE = 2;

    static StudySummary of(StudyPreset preset, List<FitPoint> points, Path out, FileSystem fs) throws IOException {
        List<Best> best = new ArrayList<>();
        for (Best b : best(points)) best.add(withEnding(b, fs));
        Map<String, JsonNode> fits = fits(out, fs);
        JsonNode held = null;
        Path h = new Path(out, "analysis/" + StudyPipeline.HELD + "/fit.json");
        if (fs.exists(h)) {
            try (InputStream in = fs.open(h)) {
                held = new ObjectMapper().readTree(in);
            }
        }
        Map<String, double[]> rD = new LinkedHashMap<>();
        for (var f : fits.entrySet()) {
            List<FitPoint> mine = points.stream().filter(p -> f.getKey().equals(p.objective())).toList();
            double[] r = repetition(mine, f.getValue());
            if (r != null) rD.put(f.getKey(), r);
        }
        String md = markdown(preset, best, fits, held) + repetitionTable(rD);
        Map<String, String> links = new LinkedHashMap<>();
        for (String objective : fits.keySet()) links.put("analysis/" + objective + "/report.html", "the " + objective.toUpperCase() + " fit's report and plots");
        if (held != null) links.put("analysis/" + StudyPipeline.HELD + "/report.html", "the DLM fit with the overfitting constants held at Quokka's");
        links.put("plan/plan.md", "the plan from the DLM fit");
        links.put("sweep/summary.md", "every run of the sweep");
        links.put("sweep.yaml", "the grid, as a quokka sweep spec");
        return new StudySummary(md, StudyReport.files("quokka study " + preset.name(), md, points, links));
    }

    /** Each objective's fit.json under the study's analysis/, by objective; an objective without a fit is absent. */
    static Map<String, JsonNode> fits(Path out, FileSystem fs) throws IOException {
        Map<String, JsonNode> fits = new LinkedHashMap<>();
        for (String objective : StudyPipeline.OBJECTIVES) {
            Path f = new Path(out, "analysis/" + objective + "/fit.json");
            if (fs.exists(f)) {
                try (InputStream in = fs.open(f)) {
                    fits.put(objective, new ObjectMapper().readTree(in));
                }
            }
        }
        return fits;
    }

    static List<Best> best(List<FitPoint> points) {
        Map<String, List<FitPoint>> runs = new TreeMap<>();
        for (FitPoint p : points) runs.computeIfAbsent(p.run(), k -> new ArrayList<>()).add(p);
        List<Best> out = new ArrayList<>();
        runs.forEach((run, ps) -> {
            FitPoint b = ps.stream().min(Comparator.comparingDouble(FitPoint::loss)).orElseThrow();
            double last = ps.stream().mapToDouble(FitPoint::epochs).max().orElseThrow();
            out.add(new Best(run, b.objective(), model(run), b.n(), b.u(), b.epochs(), b.loss(), last));
        });
        out.sort(Comparator.comparing(Best::objective).thenComparingDouble(Best::n).thenComparingDouble(Best::u));
        return out;
    }

    /**
     * Muennighoff's R_D* for one objective's points, with a 95% bootstrap interval over runs: stage 2 of his law, with
     * stage 1 the one-epoch form of the objective's Quokka fit (E, A, alpha, B, beta). Null when it cannot be fitted.
     * R_D* is the repetitions after which repeated tokens are worth 1 - 1/e of fresh ones: Prabhudesai et al. report
     * about 494 for DLMs against 31 for AR.
     */
    static double[] repetition(List<FitPoint> points, JsonNode quokkaFit) {
        if (points.size() < 10) return null;
        JsonNode c = quokkaFit.path("law").path("constants");
        try {
            ChinchillaLaw stage1 = new ChinchillaLaw(c.path("E").asDouble(), c.path("A").asDouble(), c.path("alpha").asDouble(), c.path("B").asDouble(),
                    c.path("beta").asDouble());
            FitData data = new FitData(points);
            TwoStage.Fit fit = TwoStage.fit(data, stage1);
            double[][] draws = Bootstrap.draws(data, 50, 1, (d, w) -> TwoStage.refit(fit, d, w), null);
            double[] r = new double[draws.length];
            int k = List.copyOf(fit.law().constants().keySet()).indexOf("R_D*");
            for (int i = 0; i < draws.length; i++) r[i] = draws[i][k];
            Bootstrap.Interval ci = Bootstrap.interval(r, 0.95);
            return new double[] {fit.law().rD(), ci.low(), ci.high()};
        } catch (RuntimeException e) {
            return null; // a degenerate stage 1: no R_D* to report, and the table says so
        }
    }

    /** R_D* per objective and their ratio, DLM over AR. */
    static String repetitionTable(Map<String, double[]> rD) {
        if (rD.isEmpty()) return "";
        StringBuilder s = new StringBuilder("Muennighoff's R_D* (stage 2 on these points, stage 1 from each Quokka fit's one-epoch form; "
                + "95% bootstrap intervals over runs):\n\n| objective | R_D* | interval |\n|---|---:|---:|\n");
        rD.forEach((o, r) -> s.append(String.format("| %s | %.3g | %.3g .. %.3g |%n", o, r[0], r[1], r[2])));
        if (rD.containsKey("dlm") && rD.containsKey("ar")) {
            double[] d = rD.get("dlm"), a = rD.get("ar");
            s.append(String.format("%nR_D* of the DLM over AR's: %.3g (from the intervals: %.3g .. %.3g); Prabhudesai et al. report about 494 / 31 = 16.%n",
                    d[0] / a[0], d[1] / a[2], d[2] / a[1]));
        }
        return s.append('\n').toString();
    }

    /** How the run ended, from its run.json: by its stop rule, extended by the grow rule, or at its e_max. */
    private static Best withEnding(Best b, FileSystem fs) throws IOException {
        Path manifest = new Path(b.run(), "run.json");
        if (!fs.exists(manifest)) return b;
        RunManifest m;
        try (InputStream in = fs.open(manifest)) {
            m = ManifestJson.read(new ObjectMapper().readTree(in), RunManifest.class);
        }
        double e = TrainConfig.of(m).epochs();
        String ended = m.stoppedByRule() ? String.format("stopped by the rule at %s", num(m.end().stoppedByRule().stoppedAtEpoch()))
                : m.extensions() != null && !m.extensions().isEmpty() ? "grown from " + num(m.extensions().get(0).fromEpochs()) + " to " + num(e)
                : "e_max " + num(e);
        return new Best(b.run(), b.objective(), b.model(), b.n(), b.u(), b.bestEpochs(), b.bestLoss(), b.lastEpochs(), ended);
    }

    /** The model part of a sweep run's name: {@code dlm-64x2x2-U40k-to16-s1} is 64x2x2. */
    private static String model(String run) {
        String name = run.substring(run.lastIndexOf('/') + 1);
        String[] parts = name.split("-");
        return parts.length > 1 ? parts[1] : name;
    }

    static String markdown(StudyPreset preset, List<Best> best, Map<String, JsonNode> fits) {
        return markdown(preset, best, fits, null);
    }

    /**
     * @param held the DLM fit with Quokka's overfitting constants held ({@link StudyPipeline#HELD}), or null when the
     *             free fit identified them
     */
    static String markdown(StudyPreset preset, List<Best> best, Map<String, JsonNode> fits, JsonNode held) {
        StringBuilder s = new StringBuilder("# quokka study: " + preset.name() + "\n\n");
        s.append("Validation loss at every epoch boundary of the stable phase of warmup-stable runs to ").append(preset.eMax())
                .append(preset.growTo() > 0 ? " epochs, extended by doubling up to " + preset.growTo() + " while still improving" : " epochs")
                .append(" (the decay's points left out); the best epoch is where it was lowest, before any second descent.\n\n");
        s.append("| objective | model | N | U | best epoch | best loss | last stable epoch | past the best | ended |\n"
                + "|---|---|---:|---:|---:|---:|---:|---:|---|\n");
        for (Best b : best) {
            s.append(String.format("| %s | %s | %s | %s | %s | %.4f | %s | %s | %s |%n", b.objective(), b.model(), Quantities.format(b.n()),
                    Quantities.format(b.u()), num(b.bestEpochs()), b.bestLoss(), num(b.lastEpochs()), num(b.lastEpochs() - b.bestEpochs()), b.ended()));
        }
        s.append('\n').append(finding(best)).append("\n\n");

        if (!fits.isEmpty()) {
            s.append("Quokka's law fitted to each objective's points (95% bootstrap intervals, resampling runs):\n\n| constant |");
            fits.keySet().forEach(o -> s.append(' ').append(o).append(" |"));
            s.append("\n|---|").append("---:|".repeat(fits.size())).append('\n');
            JsonNode first = fits.values().iterator().next();
            int loose = 0, total = 0;
            for (var it = first.path("law").path("constants").fieldNames(); it.hasNext(); ) {
                String k = it.next();
                s.append("| ").append(k).append(" |");
                for (JsonNode fit : fits.values()) {
                    JsonNode ci = fit.path("intervals").path(k);
                    s.append(String.format(" %.4g", fit.path("law").path("constants").path(k).asDouble()));
                    if (ci.size() == 2) {
                        s.append(String.format(" (%.3g .. %.3g)", ci.get(0).asDouble(), ci.get(1).asDouble()));
                        total++;
                        if (loose(ci.get(0).asDouble(), ci.get(1).asDouble())) loose++;
                    }
                    s.append(" |");
                }
                s.append('\n');
            }
            s.append(String.format("%n%d of %d intervals span more than a factor of %.0f.", loose, total, LOOSE));
            s.append(loose > 0 ? " On a grid this small the fit is loose: it shows the method, and its constants are not the paper's."
                    : " The fit is tight for a grid this small; still, few runs stand behind it.");
            for (String objective : fits.keySet()) {
                List<Best> runs = best.stream().filter(b -> b.objective().equals(objective)).toList();
                long improving = runs.stream().filter(b -> b.bestEpochs() == b.lastEpochs()).count();
                if (improving > 0) {
                    s.append(String.format(" %d of %d %s runs were still improving at their last epoch: they show no overfitting, so they "
                            + "cannot identify the constants that place it (gamma, c_p, m_p, k_p), and e_opt from that fit is a guess.",
                            improving, runs.size(), objective.toUpperCase()));
                }
            }
            s.append("\n\n");
            if (held != null && fits.containsKey("dlm")) s.append(heldFit(held));
            s.append(optimalEpochs(best, fits, held));
        }
        return s.toString();
    }

    /** The qualitative finding, counted over the cells where both objectives ran. */
    private static String finding(List<Best> best) {
        Map<String, Best> dlm = new TreeMap<>(), ar = new TreeMap<>();
        for (Best b : best) (b.objective().equals("dlm") ? dlm : ar).put(b.model() + "|" + b.u(), b);
        int later = 0, cells = 0;
        for (var e : dlm.entrySet()) {
            Best a = ar.get(e.getKey());
            if (a == null) continue;
            cells++;
            if (e.getValue().bestEpochs() > a.bestEpochs()) later++;
        }
        if (cells == 0) return "No (model, U) cell has both a DLM and an AR run.";
        return String.format("In %d of %d (model, U) cells the DLM's best epoch comes later than AR's%s.", later, cells,
                later == cells ? ": the DLM keeps improving on repeated data after AR has started to overfit" : "");
    }

    /**
     * The DLM fit with the overfitting constants held: which were held, from where, and what the runs then pin down.
     * Its e_opt combines the runs' own learning (p_e and the one-epoch terms) with the published rate of overfitting.
     */
    private static String heldFit(JsonNode held) {
        StringBuilder s = new StringBuilder("These DLM runs do not identify the constants that place overfitting, so the DLM was fitted again "
                + "with them held at Quokka's published values (");
        List<String> names = new ArrayList<>();
        held.path("fixed").fields().forEachRemaining(f -> names.add(String.format("%s = %.4g", f.getKey(), f.getValue().path("value").asDouble())));
        s.append(String.join(", ", names)).append("); the rest, fitted (95% bootstrap intervals; what the profile says):");
        JsonNode c = held.path("law").path("constants"), ci = held.path("intervals"), id = held.path("identifiability");
        List<String> free = new ArrayList<>();
        c.fieldNames().forEachRemaining(k -> {
            if (held.path("fixed").has(k)) return;
            JsonNode i = ci.path(k);
            free.add(String.format("%s %.4g%s%s", k, c.path(k).asDouble(), i.size() == 2 ? String.format(" (%.3g .. %.3g)", i.get(0).asDouble(), i.get(1).asDouble()) : "",
                    id.path(k).has("verdict") ? ", " + id.path(k).path("verdict").asText() : ""));
        });
        s.append(' ').append(String.join("; ", free)).append(". Its e_opt below is what the published overfitting rate predicts for "
                + "these runs' learning; where the runs were still improving, the data say only that e_opt lies beyond their last epoch.\n\n");
        return s.toString();
    }

    /** The e_opt column of a fit.json for the cell (n, u): its "reads" (e.g. "> 16 (fit: 45.1)"), or null. */
    private static String reading(JsonNode fit, double n, double u) {
        for (JsonNode c : fit.path("e_opt")) {
            if (Math.abs(c.path("n").asDouble() - n) <= 1e-9 * n && Math.abs(c.path("u").asDouble() - u) <= 1e-9 * u) return c.path("reads").asText();
        }
        return null;
    }

    private static String optimalEpochs(List<Best> best, Map<String, JsonNode> fits, JsonNode held) {
        boolean withHeld = held != null && fits.containsKey("dlm");
        StringBuilder s = new StringBuilder("e_opt(N, U) from each fit, beside the best epoch observed");
        if (withHeld) s.append(" (for the DLM also from the fit with the overfitting constants held, and from Quokka's published law)");
        s.append(":\n\n| model | N | U |");
        fits.keySet().forEach(o -> {
            s.append(" e_opt ").append(o).append(" |");
            if (withHeld && o.equals("dlm")) s.append(" e_opt dlm, held | Quokka's law |");
            s.append(" observed ").append(o).append(" |");
        });
        s.append("\n|---|---:|---:|").append("---:|---:|".repeat(fits.size())).append(withHeld ? "---:|---:|" : "").append('\n');
        Map<String, Law> laws = new LinkedHashMap<>();
        fits.forEach((o, f) -> {
            Map<String, Double> c = new LinkedHashMap<>();
            f.path("law").path("constants").fields().forEachRemaining(e -> c.put(e.getKey(), e.getValue().asDouble()));
            laws.put(o, Law.of(f.path("law").path("form").asText(), c));
        });
        Map<String, Best> cells = new TreeMap<>();
        for (Best b : best) cells.putIfAbsent(String.format("%012.0f|%015.0f|%s", b.n(), b.u(), b.model()), b);
        int contradicted = 0;
        for (Best cell : cells.values()) {
            s.append(String.format("| %s | %s | %s |", cell.model(), Quantities.format(cell.n()), Quantities.format(cell.u())));
            for (var e : laws.entrySet()) {
                double eopt = e.getValue() instanceof QuokkaLaw q ? q.optimalEpochs(cell.n(), cell.u()) : Double.NaN;
                Best run = best.stream().filter(b -> b.objective().equals(e.getKey()) && b.model().equals(cell.model()) && b.u() == cell.u())
                        .findFirst().orElse(null);
                String fitted = Double.isFinite(eopt) ? String.format("%.3g", eopt) : "-";
                // What the fit's data support (fit.json): "> e_last (fit: x)" where every run of the cell was still improving.
                String reads = reading(fits.get(e.getKey()), cell.n(), cell.u());
                if (reads != null) fitted = reads;
                // A run still improving at its last epoch puts e_opt at or beyond it: an earlier e_opt is the fit's guess.
                if (run != null && run.bestEpochs() == run.lastEpochs() && eopt < run.bestEpochs()) {
                    fitted += " *";
                    contradicted++;
                }
                s.append(' ').append(fitted).append(" |");
                if (withHeld && e.getKey().equals("dlm")) {
                    String h = reading(held, cell.n(), cell.u());
                    s.append(String.format(" %s | %.3g |", h == null ? "-" : h, QuokkaLaw.DLM.optimalEpochs(cell.n(), cell.u())));
                }
                s.append(' ').append(run == null ? "-" : num(run.bestEpochs())).append(" |");
            }
            s.append('\n');
        }
        if (contradicted > 0) {
            s.append(String.format("%n\\* %d e_opt %s earlier than the last epoch of a run that was still improving there: the data put "
                    + "e_opt later, and the fit has not placed it.%n", contradicted, contradicted == 1 ? "value is" : "values are"));
        }
        return s.append('\n').toString();
    }

    static boolean loose(double low, double high) {
        return !(low > 0) || high / low > LOOSE; // an interval reaching zero has no ratio: loose
    }

    private static String num(double x) {
        return x == Math.rint(x) ? Long.toString((long) x) : String.format("%.2f", x);
    }
}
