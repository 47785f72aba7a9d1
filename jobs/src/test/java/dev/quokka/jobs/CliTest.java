package dev.quokka.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

public class CliTest {
    @TempDir
    static Path dir;
    static Path tokenizer;
    static final List<String> DOCS = List.of(
            "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.",
            "However little known the feelings or views of such a man may be on his first entering a neighbourhood,",
            "this truth is so well fixed in the minds of the surrounding families, that he is considered the rightful property",
            "Die Würde des Menschen ist unantastbar. Ελληνικά κείμενα, 漢字, emoji 😀 and tabs\there.",
            "",
            "numbers 1234567 and 'quotes', <|endoftext|> written as text");

    @BeforeAll
    static void trainATokenizer() throws Exception {
        Path text = dir.resolve("train.txt");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 30; i++) lines.addAll(DOCS);
        Files.write(text, lines, StandardCharsets.UTF_8);
        tokenizer = dir.resolve("tok/tokenizer.json");
        Result r = run("tokenizer", "train", "--master", "local[2]", "--input", text.toString(), "--vocab-size", "400", "--output", tokenizer.toString());
        assertEquals(0, r.code, r.err);
        assertTrue(Files.exists(tokenizer));
    }

    @Test
    void encodeThenDecodeGivesTheLinesBack() throws Exception {
        Path in = dir.resolve("docs.txt");
        Files.write(in, DOCS, StandardCharsets.UTF_8);
        Path ids = dir.resolve("docs.ids");
        Path back = dir.resolve("docs.back.txt");
        assertEquals(0, run("tokenizer", "encode", "--tokenizer", tokenizer.toString(), "--input", in.toString(), "--output", ids.toString()).code);
        List<String> idLines = Files.readAllLines(ids);
        assertEquals(DOCS.size(), idLines.size());
        assertEquals("", idLines.get(4), "an empty document is an empty line");
        assertTrue(idLines.get(0).matches("[0-9]+( [0-9]+)*"));
        assertEquals(0, run("tokenizer", "decode", "--tokenizer", tokenizer.toString(), "--input", ids.toString(), "--output", back.toString()).code);
        assertEquals(DOCS, Files.readAllLines(back, StandardCharsets.UTF_8));
    }

    @Test
    void invalidUtf8IsReportedWithFileAndLine() throws Exception {
        Path in = dir.resolve("bad.txt");
        Files.write(in, new byte[] {'o', 'k', '\n', 'b', 'a', (byte) 0xC3, (byte) 0x28, '\n'});
        Path out = dir.resolve("invalid-utf8.ids");
        Result r = run("tokenizer", "encode", "--tokenizer", tokenizer.toString(), "--input", in.toString(), "--output", out.toString());
        assertEquals(2, r.code);
        assertTrue(r.err.contains(in + ":2: invalid UTF-8 at byte 3 of the line"), r.err);
        assertFalse(Files.exists(out), "no partial output");
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "temporary files are cleaned up");
        }
    }

    @Test
    void badIdsAreReportedWithFileAndLine() throws Exception {
        Path in = dir.resolve("bad-ids.txt");
        Files.writeString(in, "1 2 3\n4 x 5\n");
        Result r = run("tokenizer", "decode", "--tokenizer", tokenizer.toString(), "--input", in.toString(), "--output", dir.resolve("o.txt").toString());
        assertEquals(2, r.code);
        assertTrue(r.err.contains(in + ":2: item 2 'x' is not a token id"), r.err);
        Files.writeString(in, "1 2 3\n4 99999\n");
        r = run("tokenizer", "decode", "--tokenizer", tokenizer.toString(), "--input", in.toString(), "--output", dir.resolve("o.txt").toString());
        assertTrue(r.err.contains(in + ":2: token id 99999 at position 1"), r.err);
    }

    @Test
    void malformedTokenizerNamesTheField() throws Exception {
        Path bad = dir.resolve("wordpiece.json");
        Files.writeString(bad, Files.readString(tokenizer).replace("\"type\" : \"BPE\"", "\"type\" : \"WordPiece\""));
        Result r = run("tokenizer", "info", "--tokenizer", bad.toString());
        assertEquals(2, r.code);
        assertTrue(r.err.contains(bad + ": model.type: unsupported 'WordPiece'"), r.err);
    }

    @Test
    void dataParallelOptionsWithoutDataParallelAreAnError() {
        Result r = run("train", "--output", dir.resolve("never").toString(), "--batch-per-worker", "4");
        assertEquals(2, r.code);
        assertTrue(r.err.contains("--batch-per-worker, --averaging-frequency and --prefetch need --data-parallel"), r.err);
        assertFalse(Files.exists(dir.resolve("never")), "nothing is written");

        r = run("train", "--study", dir.toString(), "--output", dir.resolve("never").toString(), "--data-parallel", "2", "--master", "local[2]",
                "--batch-per-worker", "4", "--batch-tokens", "4096");
        assertEquals(2, r.code);
        assertTrue(r.err.contains("--batch-per-worker sets --batch-tokens; give one of them"), r.err);
    }

    /** Every command's help, without picocli's warnings (it formats descriptions, so a bare % in one is a warning). */
    @Test
    void everyCommandHasHelp() {
        List<CommandLine> all = new ArrayList<>();
        collect(Quokka.commandLine(), all);
        assertTrue(all.size() >= 9, "commands: " + all.size());
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream warnings = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(warnings, true, StandardCharsets.UTF_8));
        try {
            for (CommandLine c : all) {
                if (c.getCommandName().equals("help")) continue;
                String name = c.getCommandSpec().qualifiedName(" ");
                StringWriter out = new StringWriter();
                c.setOut(new PrintWriter(out));
                assertEquals(0, c.execute("--help"), name);
                assertTrue(out.toString().startsWith("Usage: " + name), name + ": " + out);
                assertTrue(c.getCommandSpec().usageMessage().description().length > 0, name + " has no description");
                assertFalse(warnings.toString(StandardCharsets.UTF_8).contains("[picocli WARN]"), name + ": " + warnings);
            }
        } finally {
            System.setErr(stderr);
        }
    }

    private static void collect(CommandLine c, List<CommandLine> into) {
        into.add(c);
        c.getSubcommands().values().forEach(s -> collect(s, into));
    }

    public record Result(int code, String err) {}

    /** What a command printed on standard output, with its exit code and error stream. */
    public record Printed(int code, String out, String err) {}

    /** Runs a command that prints its results on System.out (as generate and plan do), capturing them. */
    public static Printed runPrinting(String... args) {
        java.io.PrintStream stdout = System.out;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            Result r = run(args);
            return new Printed(r.code, out.toString(StandardCharsets.UTF_8), r.err);
        } finally {
            System.setOut(stdout);
        }
    }

    public static Result run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = Quokka.commandLine();
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Result(code, err.toString());
    }
}
