package dev.quokka.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quokka.jobs.CliTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlanCommandTest {
    @TempDir Path dir;

    @Test
    void writesTheTablesAndAManifest() throws Exception {
        Path out = dir.resolve("plan");
        CliTest.Result r = CliTest.run("plan", "--law", "quokka-dlm", "--n", "400M,1B", "--u", "10M,100M", "--versus", "muennighoff",
                "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        List<String> epochs = Files.readAllLines(out.resolve("epochs.csv"));
        assertEquals("N \\ U,10M,100M", epochs.get(0));
        assertEquals("400M,71,177", epochs.get(1)); // Quokka Table 3: 70, 175
        for (String f : List.of("plan.md", "joint.csv", "compute.csv", "critical.csv", "_manifest.json", "_SUCCESS")) {
            assertTrue(Files.exists(out.resolve(f)), f);
        }
        assertTrue(Files.readString(out.resolve("_manifest.json")).contains("\"gamma\" : 0.3955"));
    }

    @Test
    void anUnknownLawIsNamed() {
        CliTest.Result r = CliTest.run("plan", "--law", "gpt5");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no published law gpt5") && r.err().contains("quokka-dlm"), r.err());
    }
}
