package dev.quokka.jobs.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quokka.analysis.ChinchillaLaw;
import dev.quokka.analysis.ComputeAllocation;
import dev.quokka.analysis.FitPoint;
import dev.quokka.analysis.Law;
import dev.quokka.analysis.PointsTable;
import dev.quokka.analysis.Quantities;
import dev.quokka.jobs.options.FitOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A compute-constrained study's summary, from fit.json files written as the study writes them: DLM points from
 * Quokka's Eq. 13 and AR points from Epoch AI's Chinchilla fit, at budgets the preset names. The summary's data ratio
 * must be the two laws' own, and each budget's minimum and each fitted constant must be read back from fit.json.
 */
class IsoFlopSummaryTest {
    @TempDir Path dir;

    private static final StudyPreset PRESET = StudyPreset.isoFlop("test", "a test grid", 512, 64, "10k", List.of("32,2,2"),
            List.of("1e18", "1e19", "1e20", "1e21"), Map.of());

    @Test
    void theSummaryReadsBothFitsAndGivesTheDataRatioOfTheLawsThatMadeThem() throws Exception {
        ChinchillaLaw dlm = (ChinchillaLaw) Law.published("quokka-dlm-compute"), ar = ChinchillaLaw.EPOCH_AI;
        List<FitPoint> points = new ArrayList<>(profiles("dlm", dlm));
        points.addAll(profiles("ar", ar));
        for (String objective : StudyPipeline.OBJECTIVES) {
            FitOptions fit = new FitOptions();
            fit.law = "isoflop";
            fit.objective = objective;
            fit.resamples = 20;
            fit.level = 0.95;
            fit.seed = 1;
            fit.bootstrapOn = "driver";
            fit.fitAndWrite(new PointsTable.Result(points, Map.of()), "synthetic " + objective, "non_embedding", List.of(),
                    dir.resolve("analysis/" + objective).toString(), o -> {});
        }
        FileSystem fs = FileSystem.getLocal(new Configuration());
        IsoFlopSummary s = IsoFlopSummary.of(PRESET, points, Map.of(), new org.apache.hadoop.fs.Path(dir.toUri()), fs);
        String md = s.markdown();

        Matcher row = Pattern.compile("\\| (1e\\d\\d) \\| ([0-9.]+) \\| ([0-9.]+) \\|").matcher(md);
        int rows = 0;
        while (row.find()) {
            double c = Quantities.parse(row.group(1));
            double truth = ComputeAllocation.of(dlm).dOpt(c) / ComputeAllocation.of(ar).dOpt(c);
            assertEquals(truth, Double.parseDouble(row.group(2)), 0.05 * truth, "the fits' ratio at " + row.group(1) + ":\n" + md);
            assertEquals(truth, Double.parseDouble(row.group(3)), 0.05 * truth, "the minima's ratio at " + row.group(1) + ":\n" + md);
            rows++;
        }
        assertEquals(4, rows, md);
        ComputeAllocation truth = ComputeAllocation.of(dlm);
        Matcher a = Pattern.compile("\\| dlm \\| ([0-9.]+) \\(([0-9.]+) \\.\\. ([0-9.]+)\\) \\|").matcher(md);
        assertTrue(a.find(), "the DLM's a with its interval:\n" + md);
        assertEquals(truth.a(), Double.parseDouble(a.group(1)), 0.02, md);
        assertTrue(md.contains("| 4 of 4 |"), md);
        Matcher min = Pattern.compile("\\| dlm \\| 1e19 \\| (\\S+) \\|").matcher(md);
        assertTrue(min.find(), "the DLM's minimum at 1e19:\n" + md);
        assertEquals(truth.nOpt(1e19), Quantities.parse(min.group(1)), 0.1 * truth.nOpt(1e19), md);
        assertTrue(Files.exists(dir.resolve("analysis/dlm/isoflop-profiles.png")));
        assertTrue(s.reportFiles().containsKey("dlm-isoflop-profiles.png") && s.reportFiles().containsKey("ar-isoflop-profiles.png"));
        String html = new String(s.reportFiles().get("report.html"), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(html.contains("<img src=\"dlm-isoflop-profiles.png\"") && html.contains("href=\"analysis/ar/report.html\""), html);
    }

    @Test
    void anObjectiveWithoutAFitSaysWhyAndStillShowsItsProfiles() throws Exception {
        List<FitPoint> points = new ArrayList<>(profiles("ar", ChinchillaLaw.EPOCH_AI));
        points.addAll(profiles("dlm", (ChinchillaLaw) Law.published("quokka-dlm-compute")));
        Map<String, String> why = Map.of("dlm", "0 of 4 budgets have a bracketed minimum", "ar", "no allocation");
        String md = IsoFlopSummary.markdown(PRESET, points, Map.of(), why);
        assertTrue(md.contains("| dlm | no fit: 0 of 4 budgets have a bracketed minimum |"), md);
        assertTrue(!md.contains("D_opt ratio"), "no ratio without both fits:\n" + md);
        IsoFlopSummary s = IsoFlopSummary.of(PRESET, points, why, new org.apache.hadoop.fs.Path(dir.toUri()), FileSystem.getLocal(new Configuration()));
        assertTrue(s.reportFiles().get("dlm-isoflop-profiles.png").length > 1000, "the runs' profiles, drawn from the points");
        assertTrue(s.reportFiles().containsKey("ar-isoflop-profiles.png"));
    }

    /** Seven sizes a factor of 2 apart around the law's own N_opt at each budget, the loss exact. */
    private static List<FitPoint> profiles(String objective, ChinchillaLaw law) {
        ComputeAllocation truth = ComputeAllocation.of(law);
        List<FitPoint> points = new ArrayList<>();
        for (String budget : PRESET.budgets()) {
            double c = Quantities.parse(budget);
            for (int k = -3; k <= 3; k++) {
                double n = truth.nOpt(c) * Math.pow(2, k), d = c / (6 * n);
                points.add(new FitPoint(objective + "-" + budget + "-" + k, objective, n, d, d, law.loss(n, d, d)));
            }
        }
        return points;
    }
}
