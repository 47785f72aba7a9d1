package dev.quokka.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainConfigTest {
    private static TrainConfig sample() {
        return TrainConfig.builder("/s", "/r", "dlm", "32,1,2", 256).lr(3e-3).minLr(3e-4).schedule("wsd").warmup(0).warmupSteps(10)
                .decayFraction(0.2).evalEvery(20).valSequences(16).valSamples(2).checkpointEvery(50).seed(3)
                .stop(new TrainConfig.StopRule(0.02, 4)).build();
    }

    /** run.json's config is one flat object in a fixed order, whatever the record's groups: old runs resume and hash alike. */
    @Test
    void theJsonFormIsFlatInItsFixedOrderAndRoundTrips() throws Exception {
        TrainConfig c = sample();
        JsonNode tree = RunFiles.JSON.valueToTree(c);
        List<String> names = new ArrayList<>();
        tree.fieldNames().forEachRemaining(names::add);
        assertEquals(List.of("study", "output", "objective", "model", "batchTokens", "lr", "minLr", "schedule", "warmup", "decayFraction",
                "decay", "adamW", "epochs", "evalEvery", "valSequences", "valSamples", "dlm", "seed", "checkpointEpochs",
                "checkpointEvery", "tokenizer", "anneal", "warmupSteps", "stop"), names);
        assertEquals("wsd", tree.get("schedule").asText());
        assertEquals(3e-3, tree.get("lr").asDouble());
        assertEquals(16, tree.get("valSequences").asInt());
        assertEquals(c, RunFiles.JSON.treeToValue(tree, TrainConfig.class));
        assertEquals(c, RunFiles.JSON.readValue(RunFiles.JSON.writeValueAsBytes(c), TrainConfig.class));
    }

    @Test
    void optionsLandInTheirGroups() {
        TrainConfig c = sample();
        assertEquals(new TrainConfig.Schedule("wsd", 3e-3, 3e-4, 0, 10, 0.2, LrSchedule.Decay.EXPONENTIAL), c.schedule());
        assertEquals(new TrainConfig.Evaluation(20, 16, 2), c.evaluation());
        assertEquals(new TrainConfig.Checkpointing(false, 50), c.checkpoints());
        assertEquals(AdamW.papers(), c.optimiser());
        assertEquals(c, c.toBuilder().build(), "the builder starts from every option of the config");
        assertEquals(5e-3, c.toBuilder().lr(5e-3).build().schedule().lr());
    }

    /** Each group checks its options when it is made, and the message names the command-line option. */
    @Test
    void everyGroupChecksItsOptionsByName() {
        TrainConfig.Builder b = sample().toBuilder();
        assertTrue(message(() -> b.lr(-1).build()).startsWith("--lr must be"));
        assertTrue(message(() -> sample().toBuilder().valSamples(0).build()).startsWith("--val-samples must be"));
        assertTrue(message(() -> sample().toBuilder().checkpointEvery(-1).build()).startsWith("--checkpoint-every must be"));
        assertTrue(message(() -> sample().toBuilder().warmup(0.1).build()).contains("not both"));
        assertTrue(message(() -> sample().toBuilder().minLr(0).build()).startsWith("--min-lr must be positive for an exponential decay"));
        assertTrue(message(() -> sample().toBuilder().objective("gpt").build()).startsWith("--objective must be"));
    }

    private static String message(org.junit.jupiter.api.function.Executable e) {
        return assertThrows(IllegalArgumentException.class, e).getMessage();
    }
}
