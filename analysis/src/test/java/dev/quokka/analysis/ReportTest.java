package dev.quokka.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReportTest {
    /** The demo's DLM fit (64 points of 4 runs that never turn up): constants far from any paper's. */
    static final QuokkaLaw DEGENERATE = new QuokkaLaw(3.00659e-68, 1.19924e+47, 9.08160, 9.98747, 0.332099, 0.139482, 0.00149249, 3.75987e-11, -57.6847, 70.3804);

    static List<FitPoint> demoPoints() {
        List<FitPoint> points = new ArrayList<>();
        for (double n : new double[] {154_176, 238_336}) {
            for (double u : new double[] {40_000, 100_000}) {
                for (int e = 1; e <= 16; e++) points.add(new FitPoint("N" + n + "U" + u, "dlm", n, u, u * e, 6.5 - 0.05 * e));
            }
        }
        return points;
    }

    /**
     * Its e_p is about 1e-290, beyond what a direct evaluation survives: the law is evaluated in logs, as it was
     * fitted, so every prediction is finite and equals the fitted form's (the report once showed no point at all
     * while the fit's objective over the same points was finite).
     */
    @Test
    void aDegenerateFitPredictsWhatItsFittedFormPredicts() {
        QuokkaForm form = new QuokkaForm();
        FitData data = new FitData(demoPoints());
        double[] theta = QuokkaForm.theta(DEGENERATE);
        double[] g = new double[theta.length];
        for (int i = 0; i < data.size(); i++) {
            FitPoint p = demoPoints().get(i);
            double predicted = DEGENERATE.loss(p.n(), p.u(), p.d());
            assertTrue(Double.isFinite(predicted), p.toString());
            assertEquals(Math.exp(form.logLoss(theta, data, i, g)), predicted, 1e-9 * predicted, p.toString());
        }
        Map<String, byte[]> files = Report.files("degenerate", DEGENERATE, demoPoints(), "# a fit\n");
        assertTrue(files.get("predicted-vs-observed.png").length > 1000);
        assertTrue(files.get("loss-vs-epochs.png").length > 1000);
    }

    /** A plot that the fit cannot fill is replaced by one line saying why, where the plot would be. */
    @Test
    void whatAFitCannotDrawIsSaidInOneLine() {
        // e_opt = 1 everywhere (overfitting from the first repeat), and a loss that never leaves E.
        QuokkaLaw flat = new QuokkaLaw(3.0, 1e-30, 0.3, 1e-30, 0.3, 0.5, 0.5, 1e-6, 0.4, 0.5);
        Map<String, byte[]> files = Report.files("flat", flat, demoPoints(), "# a fit\n");
        String html = new String(files.get("report.html"), java.nio.charset.StandardCharsets.UTF_8);
        assertFalse(files.containsKey("e-opt-heatmap.png"));
        assertFalse(files.containsKey("iso-loss.png"));
        assertTrue(html.contains("<p class=\"not-drawn\">e_opt(N, U): not drawn, the fit puts e_opt at 1 everywhere in the range of the data"), html);
        assertTrue(html.contains("<p class=\"not-drawn\">Iso-loss contours over (N, D): not drawn, none of the data&#39;s loss levels")
                || html.contains("<p class=\"not-drawn\">Iso-loss contours over (N, D): not drawn, none of the data's loss levels"), html);
        assertTrue(files.containsKey("loss-vs-epochs.png") && files.containsKey("predicted-vs-observed.png"), files.keySet().toString());
    }

    /**
     * The study plot's diamond at each run's best epoch can be seen: drawn with and without them, the images differ
     * by far more than the few pixels a diamond the size of the line's own markers would change.
     */
    @Test
    void theStudyPlotMarksEachRunsBestEpoch() {
        List<FitPoint> points = new ArrayList<>();
        int run = 0;
        for (String objective : List.of("dlm", "ar")) {
            for (double u : new double[] {40_000, 100_000}) {
                int best = 4 + 3 * run, k = run++;
                for (int e = 1; e <= 16; e++) points.add(new FitPoint(objective + u, objective, 2e5, u, u * e, 5 + k * 0.4 + 0.01 * (e - best) * (e - best)));
            }
        }
        java.awt.image.BufferedImage with = org.knowm.xchart.BitmapEncoder.getBufferedImage(StudyReport.curves(points, true));
        java.awt.image.BufferedImage without = org.knowm.xchart.BitmapEncoder.getBufferedImage(StudyReport.curves(points, false));
        int differ = 0;
        for (int x = 0; x < with.getWidth(); x++) for (int y = 0; y < with.getHeight(); y++) if (with.getRGB(x, y) != without.getRGB(x, y)) differ++;
        assertTrue(differ > 4 * 60, "pixels the four diamonds change: " + differ);
    }

    /** A plan from such a fit says, under each table, where it is not a plan. */
    @Test
    void aPlanSaysWhereTheLawHasNoOptimum() {
        QuokkaLaw demo = new QuokkaLaw(0.1325, 6.722e56, 11.84, 6.243, 0.001014, 65.28, 0.2343, 2.702e-17, 1.686, -0.09058);
        String joint = PlanTables.jointOptima(demo, new double[] {40_000, 100_000}).markdown();
        assertTrue(joint.contains("In 2 of these rows N_opt is an end of the search (1M or 100T parameters)"), joint);
        String paper = PlanTables.jointOptima(QuokkaLaw.DLM, new double[] {1e7, 1e9}).markdown();
        assertFalse(paper.contains("end of the search"), paper);
    }
}
