package dev.quokka.jobs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's commands, run in a clone, leave nothing that git would show as new: they write under ignored paths. And
 * every document the code cites is in the repository.
 */
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

    /** Comments cite docs/*.md and the top-level documents; each must exist, and none may point outside the repository. */
    @Test
    void everyDocumentTheCodeCitesIsInTheRepository() throws Exception {
        Pattern cited = Pattern.compile("docs/[\\w-]+\\.md");
        Pattern outside = Pattern.compile("dlm-objective\\.md|scaling-laws\\.md|dl4j-notes|shared/reference");
        List<String> missing = new ArrayList<>(), external = new ArrayList<>();
        int citations = 0;
        List<Path> sources;
        try (var walk = Files.walk(ROOT)) {
            sources = walk.filter(f -> f.toString().endsWith(".java") && f.toString().contains("/src/") && !f.toString().contains("/target/")).toList();
        }
        for (Path f : sources) {
            String text = Files.readString(f);
            Matcher m = cited.matcher(text);
            while (m.find()) {
                citations++;
                if (!Files.isRegularFile(ROOT.resolve(m.group()))) missing.add(ROOT.relativize(f) + " cites " + m.group());
            }
            if (outside.matcher(text).find() && !f.endsWith("ReadmeTest.java")) external.add(ROOT.relativize(f).toString());
        }
        assertTrue(citations >= 10, "citations of docs/: " + citations);
        assertTrue(missing.isEmpty(), "cited documents that are not in the repository: " + missing);
        assertTrue(external.isEmpty(), "sources citing documents outside the repository: " + external);
    }
}
