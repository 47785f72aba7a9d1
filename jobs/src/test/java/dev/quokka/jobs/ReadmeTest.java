package dev.quokka.jobs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The README's commands, run in a clone, leave nothing that git would show as new: they write under ignored paths. */
class ReadmeTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void everyExampleWritesWhereGitIgnores() throws Exception {
        List<String> ignored = Files.readAllLines(ROOT.resolve(".gitignore"));
        assertTrue(ignored.contains("/work/") && ignored.contains("/demo-output/"), ignored.toString());
        String readme = Files.readString(ROOT.resolve("README.md"));
        Matcher blocks = Pattern.compile("(?s)```bash\\n(.*?)```").matcher(readme);
        Pattern output = Pattern.compile("--output[ =](\\S+)");
        List<String> outside = new ArrayList<>();
        int seen = 0;
        while (blocks.find()) {
            String commands = String.join("\n", blocks.group(1).lines().filter(l -> !l.strip().startsWith("#")).toList());
            Matcher m = output.matcher(commands);
            while (m.find()) {
                String path = m.group(1).replaceAll("[\\]\\[)`]", "");
                seen++;
                boolean ok = path.startsWith("work/") || path.startsWith("demo-output") || path.startsWith("/") || path.contains("://")
                        || path.startsWith("DIR") || path.startsWith("hdfs:") || path.startsWith("s3a:");
                if (!ok) outside.add(path);
            }
        }
        assertTrue(seen >= 20, "the README's examples with --output: " + seen);
        assertTrue(outside.isEmpty(), "README examples that write outside work/: " + outside);
    }
}
