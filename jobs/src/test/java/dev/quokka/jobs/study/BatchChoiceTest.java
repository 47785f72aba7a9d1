package dev.quokka.jobs.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quokka.training.TrainConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** batch_runs: auto takes, for each shape, the fastest batch size its runs allow, if it is clearly faster than one run per task. */
class BatchChoiceTest {
    /** Two shapes, six runs of equal length each (two objectives x three learning rates), and one shape of single runs. */
    static final String SPEC = """
            docs: tok/
            seed: 1
            seq_len: 64
            grid:
              objectives: [dlm, ar]
              models: ["32,2,2", "64,2,2"]
              unique_tokens: [1M]
              epochs: [1]
              lr: [1e-3, 3e-3, 1e-2]
            train: {batch-tokens: 2048}
            resources: {batch_runs: auto}
            """;

    @Test
    void eachShapeTakesItsFastestBatchSizeIfItBeatsOneRunPerTaskClearly() {
        List<String> timed = new ArrayList<>();
        // 32,2,2 gains from batching up to 4 runs; 64,2,2 gains 20% at best, which a sweep's evaluations take back.
        BatchChoice.Timer timer = (c, k) -> {
            timed.add(c.model() + "@" + k);
            if (c.model().equals("32,2,2")) return switch (k) { case 1 -> 1000; case 2 -> 1500; default -> 1800; };
            return k == 2 ? 1200 : 1000;
        };
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Map<String, Integer> chosen = BatchChoice.choose(configs(SPEC), timer, new PrintStream(log, true, StandardCharsets.UTF_8));
        assertEquals(Map.of("32,2,2/2048", 4, "64,2,2/2048", 1), chosen);
        assertEquals(List.of("32,2,2@1", "32,2,2@2", "32,2,2@4", "64,2,2@1", "64,2,2@2", "64,2,2@4"), timed,
                "each shape alone and in batches of 2 and 4");
        String printed = log.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("32,2,2, 2048 tokens a step: tok/s alone 1,000, 2 batched 1,500, 4 batched 1,800: batches of up to 4 (1.80x)"), printed);
        assertTrue(printed.contains("64,2,2, 2048 tokens a step") && printed.contains("one run per task (no batch 1.25x faster)"), printed);
    }

    @Test
    void runsOfDifferentLengthsAreNotTimedAtAll() {
        String grid = SPEC.replace("unique_tokens: [1M]", "unique_tokens: [1M, 2M]").replace("  lr: [1e-3, 3e-3, 1e-2]\n", "")
                .replace("train: {", "train: {stop-patience: 3, ");
        List<String> timed = new ArrayList<>();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Map<String, Integer> chosen = BatchChoice.choose(configs(grid), (c, k) -> {
            timed.add(c.model());
            return 1;
        }, new PrintStream(log, true, StandardCharsets.UTF_8));
        assertTrue(chosen.isEmpty(), chosen.toString());
        assertTrue(timed.isEmpty(), "a data-constrained grid of one seed under a stop rule has no two runs to batch: " + timed);
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("no two runs to batch (of equal length, and under a stop rule of one objective), one run per task"));
    }

    @Test
    void theSizesTimedAreTwoAndFourOrASmallerGroupsOwn() {
        assertEquals(List.of(2), BatchChoice.candidates(2));
        assertEquals(List.of(2, 3), BatchChoice.candidates(3));
        assertEquals(List.of(2, 4), BatchChoice.candidates(6));
        assertEquals(List.of(2, 4), BatchChoice.candidates(40));
        assertFalse(BatchChoice.candidates(5).contains(5));
    }

    private static List<TrainConfig> configs(String spec) {
        return SweepPlan.parse(spec, "sweep.yaml", "/out", p -> "/abs/" + p).runs().stream().map(SweepPlan.Run::config).toList();
    }
}
