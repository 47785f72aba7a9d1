package dev.quokka.jobs.study;

import dev.quokka.analysis.Comparison;
import dev.quokka.analysis.Quantities;
import dev.quokka.analysis.Report;
import dev.quokka.analysis.StudyReport;
import dev.quokka.jobs.study.StudyPreset.Check;
import dev.quokka.jobs.study.StudyPreset.Experiment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.math3.distribution.TDistribution;

/**
 * What a study of training choices found: each experiment's comparison read against Quokka's claim (its
 * {@link Check}), as summary.md and report.html.
 *
 * <p>A difference between two choices counts when it exceeds twice its standard error, estimated from the spread of
 * the cells' seeds (the pooled standard deviation of the final loss over each cell's runs); with one seed per cell
 * there is no such spread, and the verdict says the difference is unreplicated.
 */
public final class AblationSummary {
    /** One experiment's answer: a verdict (agrees, disagrees, too close to call, or a measured effect) and its numbers. */
    public record Finding(Experiment experiment, String verdict, String detail) {}

    private final String markdown;
    private final Map<String, byte[]> reportFiles;

    private AblationSummary(String markdown, Map<String, byte[]> reportFiles) {
        this.markdown = markdown;
        this.reportFiles = reportFiles;
    }

    public String markdown() {
        return markdown;
    }

    /** report.html and its figures, by file name relative to the study directory. */
    public Map<String, byte[]> reportFiles() {
        return reportFiles;
    }

    /** @param results each experiment's comparison and the figures `quokka compare` drew for it, by experiment name */
    static AblationSummary of(StudyPreset preset, Map<String, Comparison.Result> results, Map<String, Map<String, byte[]>> figures) {
        List<Finding> findings = new ArrayList<>();
        for (Experiment e : preset.experiments()) {
            Comparison.Result r = results.get(e.name());
            findings.add(r == null ? new Finding(e, "not run", "no run of this experiment completed") : judge(e, r));
        }
        StringBuilder s = new StringBuilder("# quokka study " + preset.name() + ": Quokka's training choices at toy scale\n\n");
        s.append(preset.purpose()).append(".\n\n");
        s.append("| experiment | question | Quokka found | here | verdict |\n|---|---|---|---|---|\n");
        for (Finding f : findings) {
            s.append("| ").append(f.experiment().name()).append(" | ").append(f.experiment().question()).append(" | ").append(f.experiment().claim())
                    .append(" | ").append(f.detail()).append(" | ").append(f.verdict()).append(" |\n");
        }
        s.append("\nA difference counts when it is more than twice its standard error from the seeds' spread; each experiment's ")
                .append("comparison (every cell, its runs and 95% intervals, the plots) is in compare/<experiment>/.\n");
        for (Experiment e : preset.experiments()) {
            Comparison.Result r = results.get(e.name());
            if (r == null) continue;
            s.append("\n## ").append(e.name()).append(": ").append(e.question()).append("\n\n");
            s.append(String.format("%s x %s, U %s for %s epoch%s, %d seed%s a cell, over %s.%n%n", String.join(" and ", e.objectives().stream().map(String::toUpperCase).toList()),
                    String.join(", ", e.models()), e.uniqueTokens(), Quantities.format(e.epochs()), e.epochs() == 1 ? "" : "s", e.seeds(),
                    e.seeds() == 1 ? "" : "s", String.join(" x ", r.axes())));
            s.append(Comparison.cellTable(r).markdown()).append('\n');
            var transfer = Comparison.transferTable(r);
            if (transfer != null) s.append(transfer.markdown()).append('\n');
        }
        String md = s.toString();

        List<Report.Figure> shown = new ArrayList<>();
        Map<String, String> links = new LinkedHashMap<>();
        for (Experiment e : preset.experiments()) {
            Map<String, byte[]> f = figures.get(e.name());
            if (f == null) continue;
            shown.add(new Report.Figure(e.name() + "-final-loss.png", f.get("final-loss.png"), e.name() + ": final validation loss by "
                    + String.join(" and ", results.get(e.name()).axes()) + " (" + e.question() + ")"));
            if (e.check() == Check.FASTER_THEN_WORSE || e.check() == Check.WORSE) {
                shown.add(new Report.Figure(e.name() + "-curves.png", f.get("curves.png"), e.name() + ": every run's validation loss against training tokens"));
            }
            links.put("compare/" + e.name() + "/report.html", e.name() + ": the whole comparison");
        }
        for (Experiment e : preset.experiments()) links.put("sweep-" + e.name() + ".yaml", e.name() + ": the grid, as a quokka sweep spec");
        return new AblationSummary(md, StudyReport.withFigures("quokka study " + preset.name(), md, shown, links));
    }

    /** Reads one experiment's comparison against its claim. */
    static Finding judge(Experiment e, Comparison.Result r) {
        return switch (e.check()) {
            case TRANSFERS -> transfers(e, r);
            case BEST -> best(e, r);
            case WORSE -> worse(e, r);
            case FASTER_THEN_WORSE -> fasterThenWorse(e, r);
            case EFFECT -> effect(e, r);
        };
    }

    private static Finding transfers(Experiment e, Comparison.Result r) {
        if (r.transfers().isEmpty()) return new Finding(e, "not measured", "no size ran both objectives over the axis");
        List<String> parts = new ArrayList<>();
        int transferred = 0;
        for (Comparison.Transfer t : r.transfers()) {
            parts.add(String.format("N %s: DLM %s, AR %s (%d step%s apart)", Quantities.format(t.n()), t.bestDlm(), t.bestAr(), t.steps(), t.steps() == 1 ? "" : "s"));
            if (t.transfers()) transferred++;
        }
        String verdict = transferred == r.transfers().size() ? "agrees" : transferred == 0 ? "disagrees" : "agrees at " + transferred + " of " + r.transfers().size() + " sizes";
        return new Finding(e, verdict, "best " + r.axes().get(0) + ": " + String.join("; ", parts) + unreplicated(r));
    }

    private static Finding best(Experiment e, Comparison.Result r) {
        List<Comparison.Cell> dlm = dlmCells(r);
        if (dlm.isEmpty()) return new Finding(e, "not measured", "no DLM run");
        Comparison.Cell winner = dlm.stream().min(Comparator.comparingDouble(Comparison.Cell::finalLoss)).orElseThrow();
        Comparison.Cell subject = find(dlm, e.subject());
        String ranking = String.join(" < ", dlm.stream().sorted(Comparator.comparingDouble(Comparison.Cell::finalLoss))
                .map(c -> c.values().get(0) + " " + String.format("%.4f", c.finalLoss())).toList());
        if (subject == null) return new Finding(e, "not measured", ranking);
        Double se = differenceSe(dlm);
        if (winner == subject) {
            // The subject leads; the lead counts only beyond the noise, as a deficit does.
            Comparison.Cell second = dlm.stream().filter(c -> c != subject).min(Comparator.comparingDouble(Comparison.Cell::finalLoss)).orElse(null);
            double lead = second == null ? 0 : second.finalLoss() - subject.finalLoss();
            if (second == null || se == null || lead > 2 * se) return new Finding(e, "agrees", ranking + unreplicated(r));
            return new Finding(e, String.format("too close to call: %s leads %s by %.4f, within 2 SE (%.4f)", subject.values().get(0),
                    second.values().get(0), lead, 2 * se), ranking);
        }
        String verdict = se == null ? "disagrees (unreplicated)" : subject.finalLoss() - winner.finalLoss() > 2 * se ? "disagrees"
                : "too close to call: " + winner.values().get(0) + " leads by " + String.format("%.4f", subject.finalLoss() - winner.finalLoss())
                        + ", within 2 SE (" + String.format("%.4f", 2 * se) + ")";
        return new Finding(e, verdict, ranking);
    }

    private static Finding worse(Experiment e, Comparison.Result r) {
        List<Comparison.Cell> dlm = dlmCells(r);
        Comparison.Cell subject = find(dlm, e.subject()), versus = find(dlm, e.versus());
        if (subject == null || versus == null) return new Finding(e, "not measured", "the runs lack " + e.subject() + " or " + e.versus());
        double diff = subject.finalLoss() - versus.finalLoss();
        String detail = String.format("DLM final loss %s %.4f, %s %.4f: %+.4f (%+.1f%%)", e.subject(), subject.finalLoss(), e.versus(), versus.finalLoss(), diff,
                100 * diff / versus.finalLoss());
        return new Finding(e, significance(diff, differenceSe(List.of(subject, versus)), "agrees", "disagrees"), detail);
    }

    private static Finding fasterThenWorse(Experiment e, Comparison.Result r) {
        List<Comparison.Cell> dlm = dlmCells(r);
        Comparison.Cell subject = find(dlm, e.subject()), versus = find(dlm, e.versus());
        if (subject == null || versus == null) return new Finding(e, "not measured", "the runs lack " + e.subject() + " or " + e.versus());
        double early = firstEvaluation(r, e.subject()) - firstEvaluation(r, e.versus()), end = subject.finalLoss() - versus.finalLoss();
        Double se = differenceSe(List.of(subject, versus));
        String detail = String.format("%s minus %s: %+.4f at the first evaluation, %+.4f at the end", e.subject(), e.versus(), early, end);
        String atEnd = significance(end, se, "ends worse", "ends better");
        boolean faster = early < 0;
        String verdict = faster && atEnd.equals("ends worse") ? "agrees" : (faster ? "faster at first; " : "not faster at first; ") + atEnd;
        return new Finding(e, verdict, detail);
    }

    private static Finding effect(Experiment e, Comparison.Result r) {
        String axis = r.axes().get(0);
        List<String> values = e.axes().get(axis);
        String from = values.get(0), to = values.get(values.size() - 1);
        List<String> parts = new ArrayList<>();
        for (String objective : e.objectives()) {
            List<Comparison.Cell> cells = r.cells().stream().filter(c -> c.objective().equals(objective)).toList();
            Comparison.Cell a = find(cells, from), b = find(cells, to);
            if (a == null || b == null) continue;
            double diff = b.finalLoss() - a.finalLoss();
            parts.add(String.format("%s: %s %s -> %s changes the final loss by %+.4f (%+.1f%%), best by %+.4f", objective.toUpperCase(), axis, from, to, diff,
                    100 * diff / a.finalLoss(), b.bestLoss() - a.bestLoss()));
        }
        return new Finding(e, "measured" + unreplicated(r), String.join("; ", parts));
    }

    private static String significance(double diff, Double se, String positive, String negative) {
        if (se == null) return (diff > 0 ? positive : negative) + " (unreplicated)";
        if (Math.abs(diff) <= 2 * se) return String.format("too close to call (%+.4f, 2 SE %.4f)", diff, 2 * se);
        return diff > 0 ? positive : negative;
    }

    private static String unreplicated(Comparison.Result r) {
        return r.cells().stream().allMatch(c -> c.runs() < 2) ? " (one seed a cell)" : "";
    }

    private static List<Comparison.Cell> dlmCells(Comparison.Result r) {
        return r.cells().stream().filter(c -> c.objective().equals("dlm")).toList();
    }

    private static Comparison.Cell find(List<Comparison.Cell> cells, String value) {
        return cells.stream().filter(c -> same(c.values().get(0), value)).findFirst().orElse(null);
    }

    /** Whether a value read from run.json is the preset's: enum names in any case, numbers by value (0.0 is 0). */
    static boolean same(String read, String given) {
        if (read.equalsIgnoreCase(given)) return true;
        return Comparison.numeric(read) && Comparison.numeric(given) && Double.parseDouble(read) == Double.parseDouble(given);
    }

    /**
     * The standard error of the difference of two cells' means, sqrt(2 / k) s, with s pooled from the seeds' spread
     * of every given cell with two runs or more (recovered from its 95% interval); null when no cell has two runs.
     */
    static Double differenceSe(List<Comparison.Cell> cells) {
        double squares = 0;
        int dof = 0, k = Integer.MAX_VALUE;
        for (Comparison.Cell c : cells) {
            if (c.runs() < 2 || c.finalInterval() == null) continue;
            double t = new TDistribution(c.runs() - 1).inverseCumulativeProbability(0.975);
            double sd = (c.finalInterval().high() - c.finalInterval().low()) / 2 / t * Math.sqrt(c.runs());
            squares += sd * sd * (c.runs() - 1);
            dof += c.runs() - 1;
            k = Math.min(k, c.runs());
        }
        if (dof == 0) return null;
        return Math.sqrt(squares / dof) * Math.sqrt(2.0 / k);
    }

    /** The DLM's mean validation loss at its runs' first evaluation after the start, for one value of the first axis. */
    static double firstEvaluation(Comparison.Result r, String value) {
        return r.curves().stream().filter(c -> c.objective().equals("dlm") && same(c.values().get(0), value) && c.loss().length > 1)
                .mapToDouble(c -> c.loss()[1]).average().orElse(Double.NaN);
    }
}
