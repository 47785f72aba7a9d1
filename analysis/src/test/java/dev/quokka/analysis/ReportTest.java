package dev.quokka.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReportTest {
    /**
     * A fit that a small, flat grid really gave (the demo's DLM, 64 points): its law predicts an infinite loss at some
     * epochs. The report still draws every plot, leaving those points out and saying so.
     */
    @Test
    void aDegenerateFitStillGetsItsPlots() {
        Quokka law = new Quokka(3.00659e-68, 1.19924e+47, 9.08160, 9.98747, 0.332099, 0.139482, 0.00149249, 3.75987e-11, -57.6847, 70.3804);
        List<FitPoint> points = new ArrayList<>();
        for (double n : new double[] {154_176, 238_336}) {
            for (double u : new double[] {40_000, 100_000}) {
                for (int e = 1; e <= 16; e++) points.add(new FitPoint("N" + n + "U" + u, "dlm", n, u, u * e, 6.5 - 0.05 * e));
            }
        }
        boolean infinite = points.stream().anyMatch(p -> !Double.isFinite(law.loss(p.n(), p.u(), p.d())));
        assertTrue(infinite, "the case this test is for: some predictions are not finite");
        Map<String, byte[]> files = Report.files("degenerate", law, points, "# a fit\n");
        for (String png : List.of("loss-vs-epochs.png", "predicted-vs-observed.png", "e-opt-heatmap.png", "iso-loss.png")) {
            assertTrue(files.get(png).length > 1000, png);
        }
        assertTrue(Report.predictedVersusObserved(law, points).getTitle().contains("predicted non-finite, not shown"));
        assertEquals(5, files.size());
    }
}
