package dev.quokka.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quokka.jobs.CliTest;
import dev.quokka.jobs.runtime.SparkSessions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `quokka study --preset isoflop-quick` end to end on the demo's books in local[2]: one study of the largest D, one
 * run per (objective, model, budget) reading its prefix once, each objective's IsoFLOP fit or the reason it has none,
 * and a summary with every run's final loss; a rerun trains nothing.
 */
@Tag("slow")
class IsoFlopStudyTest {
    @TempDir Path dir;

    @Test
    void aComputeConstrainedStudyRunsEveryStageAndARerunTrainsNothing() throws Exception {
        Path out = dir.resolve("iso");
        String[] study = {"study", "--preset", "isoflop-quick", "--corpus", Path.of("src/main/resources/demo/corpus").toAbsolutePath().toString(),
                "--master", "local[2]", "--output", out.toString()};
        SparkSessions.stop(); // the study makes its own session, sized for its sweep
        CliTest.Printed r = CliTest.runPrinting(study);
        assertEquals(0, r.code(), r.err());
        String console = r.out();
        assertTrue(console.contains("grid: DLM and AR x models [32,2,2, 48,2,2, 64,2,2] x FLOP budgets [4e9, 1e10]"), console);
        assertTrue(console.contains("fit IsoFLOP profiles (approach 1) to each objective"), console);

        try (Stream<Path> studies = Files.list(out.resolve("sweep/studies"))) {
            assertEquals(1, studies.count(), "one study, whose prefixes every run reads");
        }
        List<String> summary = Files.readAllLines(out.resolve("sweep/summary.csv"));
        assertEquals(13, summary.size(), "12 runs and a header");
        ObjectMapper json = new ObjectMapper();
        for (String line : summary.subList(1, 13)) {
            assertTrue(line.contains(",complete,"), line);
            String run = line.substring(0, line.indexOf(','));
            assertTrue(run.matches("(dlm|ar)-(4e9|1e10)_[0-9.]+k_[0-9.]+k-s1"), run);
            JsonNode config = json.readTree(out.resolve("sweep/runs/" + run + "/run.json").toFile()).path("config");
            assertEquals("cosine", config.path("schedule").asText(), run);
            assertTrue(config.path("epochs").asDouble() <= 1, run + " sees each token at most once");
        }

        String md = Files.readString(out.resolve("summary.md"));
        assertTrue(md.contains("| N | C = 4e9 | C = 1e10 |"), md);
        assertEquals(3, md.lines().filter(l -> l.matches("\\| [0-9.]+k \\| [0-9.]+ / [0-9.]+ \\| [0-9.]+ / [0-9.]+ \\|")).count(),
                "a row of DLM / AR losses per size, a cell per budget:\n" + md);
        for (String objective : List.of("dlm", "ar")) {
            boolean fitted = Files.exists(out.resolve("analysis/" + objective + "/_SUCCESS"));
            assertTrue(fitted || md.contains("| " + objective + " | no fit: "), objective + ": a fit or the reason there is none:\n" + md);
        }
        assertTrue(Files.exists(out.resolve("report.html")));

        SparkSessions.stop();
        CliTest.Printed again = CliTest.runPrinting(study);
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("12 runs: 0 to train, 12 already complete"), again.out());
    }
}
