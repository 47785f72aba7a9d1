package dev.quokka.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quokka.jobs.CliTest;
import dev.quokka.jobs.ReportInBrowserTest;
import dev.quokka.jobs.runtime.SparkSessions;
import dev.quokka.jobs.study.StudyPipeline;
import dev.quokka.jobs.study.SweepJob;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `quokka demo --quick` end to end in local[2]; a rerun that redoes nothing but what was removed; and --keep-going,
 * which analyses the runs that completed when one keeps failing.
 */
@Tag("slow")
class DemoCommandTest {
    @TempDir static Path dir;
    static Path out;
    static String console;

    @BeforeAll
    static void demo() {
        out = dir.resolve("demo");
        SparkSessions.stop(); // the demo makes its own session, sized for its sweep
        CliTest.Printed r = CliTest.runPrinting("demo", "--quick", "--master", "local[2]", "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        console = r.out();
    }

    /** The banner names the command once, and the sweep counts its runs as they finish. */
    @Test
    void theConsoleSaysWhatRunsAndHowFarItHasCome() {
        assertTrue(console.startsWith("quokka demo --quick: a smoke test of every stage on a tiny grid"), console);
        for (int k = 1; k <= 8; k++) assertTrue(console.contains("run " + k + " of 8 done after "), "run " + k + ": " + console);
    }

    @Test
    void everyStageLeavesItsOutput() throws IOException {
        for (String done : List.of("tokenizer.json", "docs/_SUCCESS", "sweep/studies/U10k-s1/_SUCCESS", "sweep/studies/U20k-s1/_SUCCESS",
                "analysis/dlm/_SUCCESS", "analysis/ar/_SUCCESS", "plan/_SUCCESS", "report.html", "study-curves.png", "summary.md", "sweep.yaml")) {
            assertTrue(Files.exists(out.resolve(done)), done);
        }
        List<String> summary = Files.readAllLines(out.resolve("sweep/summary.csv"));
        assertEquals(9, summary.size(), "8 runs and a header");
        summary.subList(1, 9).forEach(line -> assertTrue(line.contains(",complete,"), line));

        String md = Files.readString(out.resolve("summary.md"));
        for (String objective : List.of("dlm", "ar")) {
            long rows = bestEpochRows(md, objective);
            assertEquals(4, rows, objective + " best-epoch rows in\n" + md);
            JsonNode fit = SweepJob.JSON.readTree(out.resolve("analysis/" + objective + "/fit.json").toFile());
            assertEquals("quokka", fit.path("law").path("form").asText());
            assertEquals(4, fit.path("runs").asInt());
            assertEquals(10, fit.path("intervals").size(), "an interval for every constant");
        }
        assertTrue(md.contains("(model, U) cells the DLM's best epoch"), md);
        // Overfitting constants the free DLM fit leaves unidentified are held at Quokka's in a second fit, and only then.
        JsonNode identifiability = SweepJob.JSON.readTree(out.resolve("analysis/dlm/fit.json").toFile()).path("identifiability");
        boolean unidentified = StudyPipeline.OVERFITTING.stream().anyMatch(k -> identifiability.path(k).path("verdict").asText().equals("unidentified"));
        assertEquals(unidentified, Files.exists(out.resolve("analysis/dlm-held/_SUCCESS")), identifiability.toString());
        assertEquals(unidentified, md.contains("| e_opt dlm, held | Quokka's law |"), md);
        if (unidentified) {
            JsonNode held = SweepJob.JSON.readTree(out.resolve("analysis/dlm-held/fit.json").toFile());
            for (String k : StudyPipeline.OVERFITTING) assertEquals("quokka-dlm", held.path("fixed").path(k).path("from").asText(), k);
            assertTrue(Files.readString(out.resolve("plan/plan.md")).contains("held at Quokka's"), "the plan uses the held fit");
        }
        assertTrue(md.matches("(?s).*\\d+ of 20 intervals span more than a factor of 2.*"), md);

        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("<img src=\"study-curves.png\""), html);
        assertTrue(html.contains("<table>"), "the summary's tables are rendered");
        byte[] png = Files.readAllBytes(out.resolve("study-curves.png"));
        assertEquals((byte) 0x89, png[0]);
        assertEquals('P', png[1]);
    }

    @Test
    void theReportShowsItsPlotInHeadlessChromium() throws Exception {
        String chromium = ReportInBrowserTest.chromium();
        assumeTrue(chromium != null, "headless Chromium not found: install Debian's chromium or set QUOKKA_CHROMIUM; the browser check did not run");
        JsonNode seen = ReportInBrowserTest.openInChromium(chromium, out, Path.of("target", "demo-report-screenshot.png").toAbsolutePath());
        assertEquals(1, seen.get("images").size(), seen.toString());
        assertEquals("study-curves.png", seen.get("images").get(0).get("src").asText());
        // The best-epoch table (a header and 8 runs, 9 cells: to how each ended), then the constants and e_opt tables.
        assertTrue(seen.get("rows").size() >= 9 + 11 + 5, seen.get("rows").toString());
        assertEquals(9, seen.get("rows").get(0).asInt(), seen.get("rows").toString());
        // The report links each objective's fit report: four plots each, every one drawn in full or, where the fit
        // gives nothing to draw (a loose fit of a tiny grid can put e_opt at one value everywhere), said so in a line.
        for (String objective : List.of("dlm", "ar")) {
            Path fit = out.resolve("analysis/" + objective);
            JsonNode plots = ReportInBrowserTest.openInChromium(chromium, fit, Path.of("target", "demo-" + objective + "-fit-screenshot.png").toAbsolutePath());
            assertEquals(4, plots.get("images").size() + plots.get("notDrawn").size(), objective + ": " + plots);
            for (JsonNode line : plots.get("notDrawn")) assertTrue(line.asText().contains(": not drawn, "), line.asText());
        }
    }

    @Test
    void aRerunSkipsWhatIsCompleteAndRedoesWhatWasRemoved() throws IOException {
        Map<String, Long> before = modified();
        Files.delete(out.resolve("analysis/ar/_SUCCESS"));
        SparkSessions.stop();
        CliTest.Result r = CliTest.run("demo", "--quick", "--master", "local[2]", "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        Map<String, Long> after = modified();
        List<String> redone = before.keySet().stream().filter(f -> !before.get(f).equals(after.get(f))).toList();
        assertFalse(redone.isEmpty(), "the removed fit was redone");
        redone.forEach(f -> assertTrue(f.startsWith("analysis/ar/"), "only the AR fit was redone, but " + f + " changed"));
        assertTrue(Files.exists(out.resolve("analysis/ar/_SUCCESS")));
    }

    @Test
    void keepGoingAnalysesTheRunsThatCompleted() throws IOException {
        // The demo again in a new directory (its manifests hold absolute paths, so a copy would not be reused), with
        // one AR run that dies on every attempt.
        Path faulty = dir.resolve("faulty");
        String victim;
        try (Stream<Path> runs = Files.list(out.resolve("sweep/runs"))) {
            victim = runs.map(r -> r.getFileName().toString()).filter(r -> r.startsWith("ar-")).sorted().findFirst().orElseThrow();
        }
        String[] demo = {"demo", "--quick", "--master", "local[2]", "--output", faulty.toString(), "--inject-fault", victim + "@1x3"};

        SparkSessions.stop();
        CliTest.Result stopped = CliTest.run(demo);
        assertEquals(1, stopped.code(), stopped.err());
        assertTrue(failed(faulty, victim), "the run that kept dying is reported failed");
        assertFalse(Files.exists(faulty.resolve("report.html")), "without --keep-going a study with failed runs stops before analysis");

        SparkSessions.stop();
        String[] keepGoing = Stream.concat(Stream.of(demo), Stream.of("--keep-going")).toArray(String[]::new);
        CliTest.Result kept = CliTest.run(keepGoing);
        assertEquals(1, kept.code(), "failed runs still fail the study: " + kept.err());
        assertTrue(failed(faulty, victim));
        assertTrue(Files.exists(faulty.resolve("report.html")), "--keep-going analyses what completed and writes the report");
        assertEquals(3, SweepJob.JSON.readTree(faulty.resolve("analysis/ar/fit.json").toFile()).path("runs").asInt());
        assertEquals(4, SweepJob.JSON.readTree(faulty.resolve("analysis/dlm/fit.json").toFile()).path("runs").asInt());
        String md = Files.readString(faulty.resolve("summary.md"));
        assertEquals(3, bestEpochRows(md, "ar"), md);
    }

    /** Rows of the summary's best-epoch table: objective then model (the R_D* table's rows have no model). */
    private static long bestEpochRows(String summary, String objective) {
        return summary.lines().filter(l -> l.matches("\\| " + objective + " \\| \\d+x\\d+x\\d+ \\|.*")).count();
    }

    private static boolean failed(Path study, String run) throws IOException {
        return Files.readAllLines(study.resolve("sweep/summary.csv")).stream().anyMatch(l -> l.startsWith(run + ",") && l.contains(",failed,"));
    }

    /** Modification times of the stages' outputs (the report is rewritten by every run, so it is left out). */
    private static Map<String, Long> modified() throws IOException {
        Map<String, Long> m = new TreeMap<>();
        for (String top : List.of("tokenizer.json", "docs", "sweep/studies", "sweep/runs", "analysis", "plan")) {
            try (Stream<Path> files = Files.walk(out.resolve(top))) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    m.put(out.relativize(f).toString(), Files.getLastModifiedTime(f).toMillis());
                }
            }
        }
        return m;
    }
}
