package dev.quokka.jobs.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quokka.analysis.FitPoint;
import dev.quokka.analysis.QuokkaLaw;
import dev.quokka.jobs.study.StudyPipeline;
import dev.quokka.jobs.study.StudyPreset;
import dev.quokka.jobs.study.StudySummary;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StudySummaryTest {
    private static final double N = 2e5, U = 4e4;

    /** Epoch points 1..epochs of one run, lowest at {@code best}. */
    private static List<FitPoint> run(String name, String objective, int epochs, int best) {
        List<FitPoint> ps = new ArrayList<>();
        for (int e = 1; e <= epochs; e++) ps.add(new FitPoint(name, objective, N, U, e * U, 5 + Math.abs(e - best) * 0.01));
        return ps;
    }

    /** A fit.json whose law has no interior optimum: e_opt = 1 (p_e sqrt(e_p) / gamma = 1 at gamma 0.5). */
    private static JsonNode fitWithOptimumAtOne() {
        ObjectNode fit = JsonNodeFactory.instance.objectNode();
        ObjectNode law = fit.putObject("law");
        law.put("form", "quokka");
        new QuokkaLaw(1, 10, 0.3, 10, 0.3, 0.5, 0.5, 1, 0, 0).constants().forEach(law.putObject("constants")::put);
        ObjectNode intervals = fit.putObject("intervals");
        law.get("constants").fieldNames().forEachRemaining(k -> intervals.putArray(k).add(1).add(1.5));
        return fit;
    }

    @Test
    void anOptimumBeforeAnEpochTheRunWasStillImprovingAtIsMarked() {
        assertEquals(1, new QuokkaLaw(1, 10, 0.3, 10, 0.3, 0.5, 0.5, 1, 0, 0).optimalEpochs(N, U), 1e-12);
        List<FitPoint> points = new ArrayList<>(run("runs/dlm-64x2x2-U40k-to16-s1", "dlm", 16, 16));
        points.addAll(run("runs/ar-64x2x2-U40k-to16-s1", "ar", 16, 7));
        Map<String, JsonNode> fits = new LinkedHashMap<>();
        fits.put("dlm", fitWithOptimumAtOne());
        fits.put("ar", fitWithOptimumAtOne());

        String md = StudySummary.markdown(StudyPreset.named("demo"), StudySummary.best(points), fits);
        assertTrue(md.contains("| dlm | 64x2x2 | 200k | 40k | 16 | 5.0000 | 16 |"), md);
        assertTrue(md.contains("| ar | 64x2x2 | 200k | 40k | 7 | 5.0000 | 16 |"), md);
        assertTrue(md.contains("In 1 of 1 (model, U) cells the DLM's best epoch comes later than AR's"), md);
        // The DLM improved to its last epoch, so e_opt = 1 contradicts it; AR overfit after 7, so e_opt = 1 is only a poor fit.
        assertTrue(md.contains("| 64x2x2 | 200k | 40k | 1.00 * | 16 | 1.00 | 7 |"), md);
        assertTrue(md.contains("\\* 1 e_opt value is earlier than the last epoch of a run that was still improving there"), md);
        assertTrue(md.contains("1 of 1 DLM runs were still improving at their last epoch"), md);
        assertFalse(md.contains("AR runs were still improving"), md);
        assertTrue(md.contains("0 of 20 intervals span more than a factor of 2"), md);
        assertTrue(md.contains("warmup-stable runs to 16 epochs (the decay's"), md);
    }

    /** A study whose runs grow says so: its runs are not all of e_max's length. */
    @Test
    void aGrownStudySaysHowFarItsRunsMayGrow() {
        List<FitPoint> points = new ArrayList<>(run("runs/dlm-128x4x4-U30k-to64-s1", "dlm", 196, 180));
        String md = StudySummary.markdown(StudyPreset.named("cpu-turn"), StudySummary.best(points), Map.of());
        assertTrue(md.contains("warmup-stable runs to 64 epochs, extended by doubling up to 256 while still improving"), md);
    }

    /**
     * Where the free fit cannot place overfitting, the DLM's e_opt is read from the fit with the overfitting constants
     * held, beside Quokka's own prediction, and the held constants and their source are named.
     */
    @Test
    void theHeldFitsReadingStandsBesideQuokkasPrediction() {
        List<FitPoint> points = new ArrayList<>(run("runs/dlm-64x2x2-U40k-to16-s1", "dlm", 16, 16));
        points.addAll(run("runs/ar-64x2x2-U40k-to16-s1", "ar", 16, 7));
        Map<String, JsonNode> fits = new LinkedHashMap<>();
        fits.put("dlm", fitWithOptimumAtOne());
        fits.put("ar", fitWithOptimumAtOne());
        ObjectNode held = (ObjectNode) fitWithOptimumAtOne();
        ObjectNode fixed = held.putObject("fixed");
        for (String k : StudyPipeline.OVERFITTING) fixed.putObject(k).put("value", QuokkaLaw.DLM.constants().get(k)).put("from", "quokka-dlm");
        held.putObject("identifiability").putObject("p_e").put("verdict", "pinned");
        held.putArray("e_opt").addObject().put("n", N).put("u", U).put("reads", "> 16 (fit: 45.1)");

        String md = StudySummary.markdown(StudyPreset.named("demo"), StudySummary.best(points), fits, held);
        String quokka = String.format("%.3g", QuokkaLaw.DLM.optimalEpochs(N, U));
        assertTrue(md.contains("| e_opt dlm | e_opt dlm, held | Quokka's law | observed dlm | e_opt ar | observed ar |"), md);
        assertTrue(md.contains("| 64x2x2 | 200k | 40k | 1.00 * | > 16 (fit: 45.1) | " + quokka + " | 16 | 1.00 | 7 |"), md);
        assertTrue(md.contains("gamma = 0.3955, c_p = 254.4, m_p = 0.3900, k_p = 0.5500"), md);
        assertTrue(md.contains("p_e 0.5000 (1.00 .. 1.50), pinned"), md);
        assertFalse(StudySummary.markdown(StudyPreset.named("demo"), StudySummary.best(points), fits).contains("held"), "no held fit, no held column");
    }

    /** R_D* from a study's points, stage 1 from the objective's fit: back from points its law made, with an interval. */
    @Test
    void theSummaryReportsRdStarWithItsInterval() {
        dev.quokka.analysis.MuennighoffLaw truth = dev.quokka.analysis.MuennighoffLaw.AR;
        List<FitPoint> points = new ArrayList<>();
        java.util.Random rng = new java.util.Random(9);
        for (double u : new double[] {1e8, 4e8}) {
            for (double n : new double[] {2e8, 8e8, 3e9}) {
                for (double e : new double[] {1, 2, 4, 8, 16, 32, 64}) {
                    points.add(new FitPoint("N" + n + "U" + u, "ar", n, u, u * e, truth.loss(n, u, u * e) * Math.exp(0.003 * rng.nextGaussian())));
                }
            }
        }
        ObjectNode fit = JsonNodeFactory.instance.objectNode();
        truth.onePass().constants().forEach(fit.putObject("law").putObject("constants")::put);
        double[] r = StudySummary.repetition(points, fit);
        assertEquals(truth.rD(), r[0], 0.1 * truth.rD());
        assertTrue(r[1] <= r[0] && r[0] <= r[2], java.util.Arrays.toString(r));
        String table = StudySummary.repetitionTable(Map.of("ar", r));
        assertTrue(table.contains("| ar | "), table);
        Map<String, double[]> both = new LinkedHashMap<>();
        both.put("dlm", new double[] {400, 300, 500});
        both.put("ar", new double[] {20, 10, 30});
        assertTrue(StudySummary.repetitionTable(both).contains("R_D* of the DLM over AR's: 20.0 (from the intervals: 10.0 .. 50.0)"), StudySummary.repetitionTable(both));
    }
}
