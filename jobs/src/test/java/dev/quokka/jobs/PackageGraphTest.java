package dev.quokka.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * The import graph of the main code, as the JDK's jdeps reads it from the compiled classes (so fully qualified
 * references count as well as imports): modules depend one way (tokenizer ← data-prep ← training; analysis alone;
 * jobs on top), and no two packages depend on each other, directly or round a longer cycle. The same graph can be
 * drawn with {@code jdeps -verbose:package -e 'dev\.quokka\..*' -dotoutput DIR <module>/target/classes ...}
 * (docs/architecture.md).
 */
class PackageGraphTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final List<String> MODULES = List.of("tokenizer", "data-prep", "training", "analysis", "jobs");
    /** What each module's packages may use, by package prefix. */
    private static final Map<String, List<String>> ALLOWED = Map.of(
            "dev.quokka.tokenizer", List.of(),
            "dev.quokka.dataprep", List.of("dev.quokka.tokenizer"),
            "dev.quokka.training", List.of("dev.quokka.tokenizer", "dev.quokka.dataprep"),
            "dev.quokka.analysis", List.of(),
            "dev.quokka.jobs", List.of("dev.quokka.tokenizer", "dev.quokka.dataprep", "dev.quokka.training", "dev.quokka.analysis"));

    static Map<String, Set<String>> graph() {
        List<String> args = new ArrayList<>(List.of("-verbose:package", "-e", "dev\\.quokka\\..*"));
        for (String m : MODULES) {
            Path classes = ROOT.resolve(m).resolve("target/classes");
            assertTrue(Files.isDirectory(classes), classes + " (the modules are compiled before jobs is tested)");
            args.add(classes.toString());
        }
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = ToolProvider.findFirst("jdeps").orElseThrow().run(new PrintWriter(out), new PrintWriter(err), args.toArray(String[]::new));
        assertEquals(0, code, err.toString());
        Map<String, Set<String>> edges = new TreeMap<>();
        Matcher m = Pattern.compile("(?m)^\\s+(dev\\.quokka\\.\\S+)\\s+->\\s+(dev\\.quokka\\.\\S+)").matcher(out.toString());
        while (m.find()) {
            edges.computeIfAbsent(m.group(1), k -> new TreeSet<>());
            if (!m.group(1).equals(m.group(2))) edges.get(m.group(1)).add(m.group(2));
        }
        assertTrue(edges.size() >= 10, "packages jdeps saw: " + edges.keySet());
        return edges;
    }

    private static String module(String pkg) {
        return ALLOWED.keySet().stream().filter(p -> pkg.equals(p) || pkg.startsWith(p + ".")).findFirst().orElseThrow(() -> new AssertionError("no module for " + pkg));
    }

    @Test
    void modulesDependOneWay() {
        List<String> wrong = new ArrayList<>();
        graph().forEach((from, tos) -> {
            String mine = module(from);
            for (String to : tos) {
                String theirs = module(to);
                if (!theirs.equals(mine) && !ALLOWED.get(mine).contains(theirs)) wrong.add(from + " -> " + to);
            }
        });
        assertTrue(wrong.isEmpty(), "dependencies against the module order: " + wrong);
    }

    /** Engines are chosen in one place: outside training, only {@code training.engines} names one. */
    @Test
    void onlyTheEnginesPackageNamesAnEngine() {
        List<String> wrong = new ArrayList<>();
        graph().forEach((from, tos) -> {
            if (from.startsWith("dev.quokka.training")) return;
            for (String to : tos) if (to.startsWith("dev.quokka.training.nd4j") || to.startsWith("dev.quokka.training.spark")) wrong.add(from + " -> " + to);
        });
        assertTrue(wrong.isEmpty(), "packages outside training that reach an engine directly: " + wrong);
    }

    @Test
    void noPackageCycles() {
        Map<String, Set<String>> g = graph();
        List<List<String>> cycles = new ArrayList<>();
        for (String start : g.keySet()) {
            List<String> cycle = cycleThrough(g, start);
            if (cycle != null && cycle.get(0).equals(new TreeSet<>(cycle).first())) cycles.add(cycle);
        }
        assertTrue(cycles.isEmpty(), "package cycles: " + cycles + "\nthe graph: " + g);
    }

    /** A shortest path from start back to itself, or null (breadth-first). */
    private static List<String> cycleThrough(Map<String, Set<String>> g, String start) {
        Map<String, String> parent = new TreeMap<>();
        List<String> frontier = new ArrayList<>(List.of(start));
        while (!frontier.isEmpty()) {
            List<String> next = new ArrayList<>();
            for (String p : frontier) {
                for (String q : g.getOrDefault(p, Set.of())) {
                    if (q.equals(start)) {
                        List<String> path = new ArrayList<>(List.of(p));
                        for (String r = p; !r.equals(start); r = parent.get(r)) path.add(0, parent.get(r));
                        return path;
                    }
                    if (!parent.containsKey(q)) {
                        parent.put(q, p);
                        next.add(q);
                    }
                }
            }
            frontier = next;
        }
        return null;
    }
}
