package dev.quokka.jobs.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quokka.analysis.Comparison;
import dev.quokka.jobs.study.StudyPreset.Check;
import dev.quokka.jobs.study.StudyPreset.Experiment;
import java.util.List;
import java.util.Map;
import org.apache.commons.math3.distribution.TDistribution;
import org.junit.jupiter.api.Test;

/** How an experiment's comparison is read against Quokka's claim, on comparisons made up here with known numbers. */
class AblationSummaryTest {

    static Experiment experiment(Check check, String subject, String versus, String axis, List<String> values) {
        return new Experiment("x", "a question?", "a claim", check, subject, versus, List.of("dlm", "ar"), List.of("32,2,2"), "10k", 1, 2,
                Map.of(axis, values), Map.of());
    }

    /** A DLM cell of two seeds with final loss {@code mean} and seed standard deviation {@code sd}. */
    static Comparison.Cell cell(String objective, String value, double mean, double sd) {
        double half = new TDistribution(1).inverseCumulativeProbability(0.975) * sd / Math.sqrt(2);
        Comparison.Interval i = new Comparison.Interval(mean - half, mean + half);
        return new Comparison.Cell(objective, 1e5, 1e4, List.of(value), 2, mean, i, mean, i);
    }

    static Comparison.Curve curve(String value, double first, double last) {
        return new Comparison.Curve(value, "dlm", 1e5, 1e4, List.of(value), new double[] {0, 1, 2}, new double[] {7, first, last});
    }

    @Test
    void theStandardErrorOfADifferenceComesFromTheSeedsSpread() {
        // Two cells of two seeds with sd 0.03 and 0.04: pooled sd 0.0354, SE of the difference sqrt(2/2) x 0.0354.
        Double se = AblationSummary.differenceSe(List.of(cell("dlm", "a", 5, 0.03), cell("dlm", "b", 5, 0.04)));
        assertEquals(Math.sqrt((0.03 * 0.03 + 0.04 * 0.04) / 2), se, 1e-9);
        assertEquals(null, AblationSummary.differenceSe(List.of(new Comparison.Cell("dlm", 1, 1, List.of("a"), 1, 5, null, 5, null))));
    }

    @Test
    void aChoiceIsWorseOnlyByMoreThanTwoStandardErrors() {
        Experiment e = experiment(Check.WORSE, "uniform", "mask", "kernel", List.of("mask", "uniform"));
        var clear = new Comparison.Result(List.of("kernel"), List.of(cell("dlm", "MASK", 5.0, 0.02), cell("dlm", "UNIFORM", 5.3, 0.02)), List.of(), List.of());
        assertEquals("agrees", AblationSummary.judge(e, clear).verdict());
        var close = new Comparison.Result(List.of("kernel"), List.of(cell("dlm", "MASK", 5.0, 0.05), cell("dlm", "UNIFORM", 5.05, 0.05)), List.of(), List.of());
        assertTrue(AblationSummary.judge(e, close).verdict().startsWith("too close to call"), AblationSummary.judge(e, close).verdict());
        var better = new Comparison.Result(List.of("kernel"), List.of(cell("dlm", "MASK", 5.3, 0.02), cell("dlm", "UNIFORM", 5.0, 0.02)), List.of(), List.of());
        assertEquals("disagrees", AblationSummary.judge(e, better).verdict());
        assertTrue(AblationSummary.judge(e, clear).detail().contains("uniform 5.3000, mask 5.0000: +0.3000 (+6.0%)"), AblationSummary.judge(e, clear).detail());
    }

    @Test
    void theBestChoiceIsTheLowestFinalLossUnlessTheLeadIsWithinTheNoise() {
        Experiment e = experiment(Check.BEST, "linear", null, "mask-schedule", List.of("linear", "cosine", "poly2"));
        var wins = new Comparison.Result(List.of("mask-schedule"), List.of(cell("dlm", "LINEAR", 4.9, 0.01), cell("dlm", "COSINE", 5.0, 0.01),
                cell("dlm", "POLY2", 5.2, 0.01)), List.of(), List.of());
        assertEquals("agrees", AblationSummary.judge(e, wins).verdict());
        assertTrue(AblationSummary.judge(e, wins).detail().startsWith("LINEAR 4.9000 < COSINE 5.0000 < POLY2 5.2000"), AblationSummary.judge(e, wins).detail());
        var close = new Comparison.Result(List.of("mask-schedule"), List.of(cell("dlm", "LINEAR", 5.01, 0.05), cell("dlm", "COSINE", 5.0, 0.05)), List.of(), List.of());
        assertTrue(AblationSummary.judge(e, close).verdict().startsWith("too close to call: COSINE leads"), AblationSummary.judge(e, close).verdict());
        var leadsWithinNoise = new Comparison.Result(List.of("mask-schedule"), List.of(cell("dlm", "LINEAR", 5.0, 0.05), cell("dlm", "COSINE", 5.01, 0.05),
                cell("dlm", "POLY2", 5.5, 0.05)), List.of(), List.of());
        assertTrue(AblationSummary.judge(e, leadsWithinNoise).verdict().startsWith("too close to call: LINEAR leads COSINE by 0.0100"),
                AblationSummary.judge(e, leadsWithinNoise).verdict());
        var loses = new Comparison.Result(List.of("mask-schedule"), List.of(cell("dlm", "LINEAR", 5.3, 0.01), cell("dlm", "COSINE", 5.0, 0.01)), List.of(), List.of());
        assertEquals("disagrees", AblationSummary.judge(e, loses).verdict());
    }

    @Test
    void maskGitMustBeAheadAtTheFirstEvaluationAndBehindAtTheEnd() {
        Experiment e = experiment(Check.FASTER_THEN_WORSE, "maskgit", "elbo", "weighting", List.of("elbo", "maskgit"));
        List<Comparison.Cell> cells = List.of(cell("dlm", "ELBO", 4.8, 0.01), cell("dlm", "MASKGIT", 4.9, 0.01));
        var agrees = new Comparison.Result(List.of("weighting"), cells, List.of(), List.of(curve("ELBO", 6.0, 4.8), curve("MASKGIT", 5.8, 4.9)));
        assertEquals("agrees", AblationSummary.judge(e, agrees).verdict());
        assertTrue(AblationSummary.judge(e, agrees).detail().contains("-0.2000 at the first evaluation, +0.1000 at the end"), AblationSummary.judge(e, agrees).detail());
        var slow = new Comparison.Result(List.of("weighting"), cells, List.of(), List.of(curve("ELBO", 5.8, 4.8), curve("MASKGIT", 6.0, 4.9)));
        assertEquals("not faster at first; ends worse", AblationSummary.judge(e, slow).verdict());
    }

    @Test
    void transferAgreesOnlyWhereEverySizeIsWithinOneGridStep() {
        Experiment e = experiment(Check.TRANSFERS, null, null, "lr", List.of("1e-3", "3e-3", "1e-2"));
        var two = List.of(new Comparison.Transfer("lr", 1e5, 1e4, List.of(), "0.003", "0.01", 1), new Comparison.Transfer("lr", 4e5, 1e4, List.of(), "0.001", "0.01", 2));
        assertEquals("agrees at 1 of 2 sizes", AblationSummary.judge(e, new Comparison.Result(List.of("lr"), List.of(), two, List.of())).verdict());
        assertEquals("agrees", AblationSummary.judge(e, new Comparison.Result(List.of("lr"), List.of(), two.subList(0, 1), List.of())).verdict());
        assertEquals("disagrees", AblationSummary.judge(e, new Comparison.Result(List.of("lr"), List.of(), two.subList(1, 2), List.of())).verdict());
    }

    /** run.json holds weight decay 0 as 0.0: the preset's "0" must find it, or the effect would go unreported. */
    @Test
    void anEffectIsReadForEachObjectiveWhateverTheNumbersSpelling() {
        Experiment e = experiment(Check.EFFECT, null, null, "weight-decay", List.of("0", "0.1"));
        var r = new Comparison.Result(List.of("weight-decay"), List.of(cell("ar", "0.0", 4.0, 0.01), cell("ar", "0.1", 3.9, 0.01),
                cell("dlm", "0.0", 5.0, 0.01), cell("dlm", "0.1", 5.1, 0.01)), List.of(), List.of());
        String detail = AblationSummary.judge(e, r).detail();
        assertTrue(detail.contains("DLM: weight-decay 0 -> 0.1 changes the final loss by +0.1000 (+2.0%)"), detail);
        assertTrue(detail.contains("AR: weight-decay 0 -> 0.1 changes the final loss by -0.1000 (-2.5%)"), detail);
    }
}
