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
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `quokka study --preset ablations-quick` end to end on the demo's books in local[2]: each experiment's own sweep
 * over its options, its comparison as `quokka compare` writes it, and a summary that reads each against Quokka's
 * finding; a rerun trains nothing.
 */
@Tag("slow")
class AblationStudyTest {
    @TempDir Path dir;

    @Test
    void anAblationStudyComparesEachExperimentAndARerunTrainsNothing() throws Exception {
        Path out = dir.resolve("ablations");
        String[] study = {"study", "--preset", "ablations-quick", "--corpus", Path.of("src/main/resources/demo/corpus").toAbsolutePath().toString(),
                "--master", "local[2]", "--output", out.toString()};
        SparkSessions.stop(); // the study makes its own session, sized for its sweep
        CliTest.Printed r = CliTest.runPrinting(study);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("kernel: [dlm] x models [32,2,2] x {kernel=[mask, uniform]}, U 20k for 1.0 epochs, 2 seed(s)"), r.out());

        ObjectMapper json = new ObjectMapper();
        List<String> kernelRuns = Files.readAllLines(out.resolve("sweep/kernel/summary.csv"));
        assertEquals(1 + 4, kernelRuns.size(), "two kernels x two seeds");
        for (String line : kernelRuns.subList(1, kernelRuns.size())) {
            assertTrue(line.contains(",complete,"), line);
            String run = line.substring(0, line.indexOf(','));
            JsonNode manifest = json.readTree(out.resolve("sweep/kernel/runs/" + run + "/run.json").toFile());
            assertEquals(run.contains("-kerneluniform-") ? "uniform" : "mask", manifest.path("objective").path("kernel").asText(), run);
        }
        List<String> cells = Files.readAllLines(out.resolve("compare/kernel/cells.csv"));
        assertEquals("objective,N,U,kernel,runs,final loss,95% interval,best loss,95% interval", cells.get(0));
        assertEquals(1 + 2, cells.size(), "a cell per kernel, of two runs each: " + cells);
        assertTrue(cells.stream().skip(1).allMatch(c -> c.contains(",2,")), cells.toString());
        assertTrue(Files.exists(out.resolve("compare/learning-rate/transfer.csv")));
        for (String f : List.of("report.html", "learning-rate-final-loss.png", "kernel-curves.png", "sweep-kernel.yaml", "compare/kernel/_SUCCESS")) {
            assertTrue(Files.exists(out.resolve(f)), f);
        }

        String md = Files.readString(out.resolve("summary.md"));
        for (String experiment : List.of("learning-rate", "kernel")) {
            String row = md.lines().filter(l -> l.startsWith("| " + experiment + " |")).findFirst().orElseThrow(() -> new AssertionError(experiment + " in\n" + md));
            String verdict = row.substring(row.lastIndexOf(" | ", row.length() - 3) + 3, row.length() - 2);
            assertTrue(verdict.matches("agrees.*|disagrees.*|too close to call.*"), experiment + ": " + verdict);
        }

        SparkSessions.stop();
        CliTest.Printed again = CliTest.runPrinting(study);
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("4 runs: 0 to train, 4 already complete"), again.out());
        assertTrue(again.out().contains("kernel: up to date"), again.out());
        assertEquals(md, Files.readString(out.resolve("summary.md")), "the same runs, the same summary");
    }
}
