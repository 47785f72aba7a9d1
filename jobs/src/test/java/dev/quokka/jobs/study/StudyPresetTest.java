package dev.quokka.jobs.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.quokka.jobs.study.StudyCost;
import dev.quokka.jobs.study.StudyPreset;
import dev.quokka.jobs.study.SweepPlan;
import java.util.List;
import org.junit.jupiter.api.Test;

class StudyPresetTest {
    @Test
    void everyPresetIsAValidSweep() throws Exception {
        for (StudyPreset p : StudyPreset.ALL.values()) {
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
}
