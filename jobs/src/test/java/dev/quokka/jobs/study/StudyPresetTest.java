package dev.quokka.jobs.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.quokka.jobs.study.StudyCost;
import dev.quokka.jobs.study.StudyPreset;
import dev.quokka.jobs.study.SweepPlan;
import dev.quokka.analysis.Quantities;
import dev.quokka.training.TrainConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class StudyPresetTest {
    @Test
    void everyPresetIsAValidSweep() throws Exception {
        for (StudyPreset p : StudyPreset.ALL.values()) {
            if (p.computeConstrained() || p.ablation()) continue; // below
            String spec = new YAMLMapper().writeValueAsString(p.spec("/d/docs", "/d/tokenizer.json", 1));
            SweepPlan plan = SweepPlan.parse(spec, p.name(), "/d/sweep", s -> s);
            assertEquals(2 * p.models().size() * p.uniqueTokens().size(), plan.runs().size(), p.name());
            assertEquals(p.uniqueTokens().size(), plan.studies().size(), p.name());
            assertEquals(p.growTo(), plan.extendCap(), p.name());
            for (SweepPlan.Run r : plan.runs()) {
                assertTrue(r.toMax(), r.name());
                assertEquals(p.eMax(), r.epochs(), r.name());
                assertEquals("wsd", r.config().schedule().shape(), r.name());
            }
        }
    }

    /**
     * An ablation preset: each experiment a valid sweep of objectives x models x seeds x its options' values, every run
     * carrying its values by name, one epoch count, and the preset's options unless the experiment varies them.
     */
    @Test
    void everyAblationPresetIsAGridOfExperiments() throws Exception {
        int seen = 0;
        for (StudyPreset p : StudyPreset.ALL.values()) {
            if (!p.ablation()) continue;
            seen++;
            for (StudyPreset.Experiment e : p.experiments()) {
                String spec = new YAMLMapper().writeValueAsString(p.spec("/d/docs", "/d/tokenizer.json", 7, e));
                SweepPlan plan = SweepPlan.parse(spec, p.name() + "/" + e.name(), "/d/sweep/" + e.name(), s -> s);
                int values = e.axes().values().stream().mapToInt(List::size).reduce(1, (a, b) -> a * b);
                assertEquals(e.objectives().size() * e.models().size() * e.seeds() * values, plan.runs().size(), e.name());
                assertEquals(e.seeds(), plan.studies().size(), e.name() + ": one study per seed");
                for (SweepPlan.Run r : plan.runs()) {
                    assertEquals(e.epochs(), r.epochs(), r.name());
                    assertTrue(r.seed() >= 7 && r.seed() < 7 + e.seeds(), r.name());
                    assertEquals("cosine", r.config().schedule().shape(), r.name());
                    assertEquals(e.axes().keySet(), r.axes().keySet(), r.name());
                    r.axes().forEach((option, value) -> assertTrue(r.name().contains("-" + option + value + "-"), r.name()));
                }
            }
        }
        assertEquals(2, seen, "cpu-ablations and ablations-quick");
    }

    /**
     * A compute-constrained preset: one run per objective, model and budget, all reading prefixes of one study, each
     * on D = C / 6N tokens (to within a step) seen at most once, with a cosine schedule to its end.
     */
    @Test
    void everyComputeConstrainedPresetIsAGridOfBudgets() throws Exception {
        int seen = 0;
        for (StudyPreset p : StudyPreset.ALL.values()) {
            if (!p.computeConstrained()) continue;
            seen++;
            String spec = new YAMLMapper().writeValueAsString(p.spec("/d/docs", "/d/tokenizer.json", 1));
            assertTrue(!spec.contains("unique_tokens") && !spec.contains("e_max"), spec);
            SweepPlan plan = SweepPlan.parse(spec, p.name(), "/d/sweep", s -> s);
            assertEquals(2 * p.models().size() * p.budgets().size(), plan.runs().size(), p.name());
            assertEquals(1, plan.studies().size(), p.name());
            long u = plan.studies().get(0).config().uniqueTokens();
            for (SweepPlan.Run r : plan.runs()) {
                TrainConfig c = r.config();
                assertEquals("cosine", c.schedule().shape(), r.name());
                assertTrue(r.epochs() <= 1, r.name());
                double d = r.epochs() * u, n = c.shape(p.vocabSize()).papersNonEmbeddingParameters();
                double budget = p.budgets().stream().mapToDouble(Quantities::parse).filter(b -> r.name().contains("-" + SweepPlan.flops(b) + "_"))
                        .findFirst().orElseThrow(() -> new AssertionError(r.name() + " names no budget of the grid"));
                assertEquals(budget / (6 * n), d, c.batchTokens() / 2.0 + 1e-6, r.name());
            }
        }
        assertEquals(2, seen, "cpu-isoflop and isoflop-quick");
    }

    @Test
    void theClusterGridMirrorsQuokkas() {
        StudyPreset q = StudyPreset.named("cluster-quokka");
        assertEquals(1000, q.eMax());
        assertEquals(List.of("10M", "20M", "50M", "100M", "139M"), q.uniqueTokens());
        assertEquals(0, q.vocabSize(), "a given tokenizer");
        assertThrows(IllegalArgumentException.class, () -> StudyPreset.named("nope"));
    }

    @Test
    void theMakespanPacksLongestFirst() {
        assertEquals(10, StudyCost.makespan(List.of(10.0, 4.0, 3.0, 3.0), 2), 1e-12);
        assertEquals(20, StudyCost.makespan(List.of(10.0, 4.0, 3.0, 3.0), 1), 1e-12);
        assertEquals(6, StudyCost.makespan(List.of(4.0, 4.0, 3.0, 3.0, 2.0, 2.0), 3), 1e-12);
    }

    /** The cost counts every evaluation a run makes: its start, each epoch boundary and --eval-every's besides. */
    @Test
    void evaluationsCountEveryOneARunMakes() {
        TrainConfig.Builder b = TrainConfig.builder("/s", "/o", "dlm", "32,2,2", 2048);
        assertEquals(2, StudyCost.evaluations(b.build(), 1, 1_000_000), "the start and the end");
        assertEquals(17, StudyCost.evaluations(b.build(), 16, 1_000_000), "the start and 16 boundaries");
        assertEquals(2 + 488 / 64, StudyCost.evaluations(b.evalEvery(64).build(), 1, 1_000_000), "and every 64 of 488 steps");
    }
}
