package dev.quokka.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input through the CLI, as a user types it: every option is checked before any output exists, and the answer is
 * one line that names the option or the file (exit 2). Values that make no sense (NaN, infinite, zero or negative)
 * are errors, never replaced by a default.
 */
@Tag("slow")
class BadInputTest {
    @TempDir static Path dir;
    static Path tokenizer, docs, study;

    @BeforeAll
    static void docsAndAStudy() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 400; i++) lines.add("Line " + i + " of a small corpus, with words that repeat: " + CliTest.DOCS.get(i % 3));
        Path text = dir.resolve("corpus.txt");
        tokenizer = JobFixtures.tokenizer(lines, 300, text, dir.resolve("tokenizer.json"));
        docs = dir.resolve("docs");
        study = dir.resolve("study");
        JobFixtures.tokenize(text, tokenizer, docs);
        ok(CliTest.run("shard", "--master", "local[2]", "--docs", docs.toString(), "--unique-tokens", "4000", "--epochs", "2", "--seq-len", "16",
                "--val-fraction", "0.1", "--output", study.toString()));
    }

    /** Runs the command, expects exit 2 with {@code message} in its one line, and nothing at {@code output}. */
    static void refused(Path output, String message, String... args) {
        CliTest.Result r = CliTest.run(args);
        assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
        assertTrue(r.err().contains(message), "expected '" + message + "' from " + String.join(" ", args) + ", got: " + r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertFalse(Files.exists(output), output + " was created");
    }

    @Test
    void shardRefusesAValidationShareOutsideZeroToOne() {
        for (String v : List.of("NaN", "0", "-0.5", "1", "Infinity")) {
            Path out = dir.resolve("val-" + v);
            refused(out, "--val-fraction must be in (0, 1), not " + Double.parseDouble(v), "shard", "--docs", docs.toString(),
                    "--unique-tokens", "1000", "--epochs", "1", "--seq-len", "16", "--val-fraction", v, "--output", out.toString());
        }
        Path out = dir.resolve("val-tokens");
        refused(out, "--val-tokens must be positive, not -5", "shard", "--docs", docs.toString(), "--unique-tokens", "1000", "--epochs", "1",
                "--seq-len", "16", "--val-tokens", "-5", "--output", out.toString());
    }

    @Test
    void shardRefusesSequencesTheDataCannotFill() {
        Path out = dir.resolve("seq");
        refused(out, "--seq-len must be at least 2", "shard", "--docs", docs.toString(), "--unique-tokens", "1000", "--epochs", "1",
                "--seq-len", "1", "--output", out.toString());
        refused(out, "--unique-tokens x --epochs = 1000 training tokens, fewer than one sequence of --seq-len + 1 = 4097 tokens", "shard",
                "--docs", docs.toString(), "--unique-tokens", "1000", "--epochs", "1", "--seq-len", "4096", "--output", out.toString());
        refused(out, "the validation set would hold 0 tokens, fewer than one sequence", "shard", "--docs", docs.toString(),
                "--unique-tokens", "1000", "--epochs", "1", "--seq-len", "16", "--val-fraction", "0.00001", "--output", out.toString());
        refused(out, "--unique-tokens 10000000 is more than the", "shard", "--docs", docs.toString(),
                "--unique-tokens", "10000000", "--epochs", "1", "--seq-len", "16", "--output", out.toString());
    }

    @Test
    void tokenizeRefusesAnInputWithoutRecords() throws Exception {
        Path empty = dir.resolve("empty.txt");
        Files.write(empty, new byte[0]);
        Path out = dir.resolve("no-docs");
        refused(out, "the input holds no records: empty.txt (0 bytes)", "tokenize", "--input", empty.toString(), "--format", "lines",
                "--tokenizer", tokenizer.toString(), "--output", out.toString());
    }

    /** Each bad value names its option, before the run directory exists: the corrected command then just runs. */
    @Test
    void trainRefusesNonsenseBeforeItWritesARun() {
        Map<String, String[]> cases = new java.util.LinkedHashMap<>();
        cases.put("--lr must be a positive number, not NaN", new String[] {"--lr", "NaN"});
        cases.put("--lr must be a positive number, not 0.0", new String[] {"--lr", "0"});
        cases.put("--lr must be a positive number, not Infinity", new String[] {"--lr", "Infinity"});
        cases.put("--min-lr must be in [0, --lr = 0.001], not 0.01", new String[] {"--lr", "1e-3", "--min-lr", "1e-2"});
        cases.put("--warmup must be a fraction of the run in [0, 1), not NaN", new String[] {"--warmup", "NaN"});
        cases.put("--decay must be a fraction of the run in [0, 1], not 2.0", new String[] {"--decay", "2"});
        cases.put("--epochs must be >= 0 (0: all the study has), not NaN", new String[] {"--epochs", "NaN"});
        cases.put("--weight-decay must be >= 0, not -0.1", new String[] {"--weight-decay", "-0.1"});
        cases.put("--clip must be >= 0 (0: no clipping), not NaN", new String[] {"--clip", "NaN"});
        cases.put("--t-floor must be in [0, 1), not 1.0", new String[] {"--t-floor", "1"});
        cases.put("--val-sequences must be positive, not 0", new String[] {"--val-sequences", "0"});
        cases.put("--batch-tokens must be positive, not -16", new String[] {"--batch-tokens", "-16"});
        cases.put("--stop-after must be >= 0 (0: train to the end), not -1", new String[] {"--stop-after", "-1"});
        cases.put("--kernel must be one of mask, uniform, not absorbing", new String[] {"--kernel", "absorbing"});
        cases.put("--weighting maskgit is the mask kernel's; --kernel uniform trains on its ELBO (--weighting elbo)",
                new String[] {"--kernel", "uniform", "--weighting", "maskgit"});
        cases.put("--kernel uniform needs --t-floor > 0", new String[] {"--kernel", "uniform", "--t-floor", "0"});
        cases.put("--data-parallel trains cross-entropy losses; --kernel uniform", new String[] {"--kernel", "uniform", "--data-parallel", "2"});
        int i = 0;
        for (var c : cases.entrySet()) {
            Path out = dir.resolve("run-" + i++);
            List<String> args = new ArrayList<>(List.of("train", "--study", study.toString(), "--model", "16,1,2", "--output", out.toString()));
            args.addAll(List.of(c.getValue()));
            if (!args.contains("--batch-tokens")) args.addAll(List.of("--batch-tokens", "64"));
            refused(out, c.getKey(), args.toArray(String[]::new));
        }
    }

    @Test
    void aFaultForARunTheSweepDoesNotHaveIsRefused() throws Exception {
        Path spec = dir.resolve("sweep.yaml");
        Files.writeString(spec, """
                docs: %s
                tokenizer: %s
                seq_len: 16
                val_fraction: 0.1
                grid: {objectives: [ar], models: ["16,1,2"], unique_tokens: [1k], epochs: [1]}
                train: {batch-tokens: 64}
                """.formatted(docs, tokenizer));
        Path out = dir.resolve("sweep");
        refused(out, "--inject-fault: the sweep has no run named ar-16x1x2-U1k-e1-s9 (its runs: ar-16x1x2-U1k-e1-s0)", "sweep",
                "--spec", spec.toString(), "--output", out.toString(), "--inject-fault", "ar-16x1x2-U1k-e1-s9@3");
    }

    /** An output file gets the permissions any new file gets here (the umask's), not 0600. */
    @Test
    void outputsFollowTheUmask() throws Exception {
        Path in = dir.resolve("encode-in.txt");
        Files.writeString(in, "one line\nand another\n");
        Path out = dir.resolve("encoded.ids");
        assertEquals(0, CliTest.run("tokenizer", "encode", "--tokenizer", tokenizer.toString(), "--input", in.toString(), "--output", out.toString()).code());
        Path plain = Files.createFile(dir.resolve("plain-new-file"));
        assertEquals(PosixFilePermissions.toString(Files.getPosixFilePermissions(plain)), PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
    }

    /**
     * The launcher's console, in a process of its own: a bad record in strict mode is one line naming the record,
     * with no executor stack trace before it; the trace is in the log file.
     */
    @Test
    void aStrictBadRecordIsOneLineOnTheConsoleAndATraceInTheLog() throws Exception {
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"text\": \"fine\"}\n{\"text\": broken}\n");
        Path log = dir.resolve("quokka.log");
        QuokkaProcess p = QuokkaProcess.start(dir.resolve("console.txt"), Map.of(), List.of("-Dquokka.log=" + log), "tokenize", "--master", "local[1]",
                "--input", bad.toString(), "--format", "jsonl", "--tokenizer", tokenizer.toString(), "--output", dir.resolve("bad-docs").toString());
        assertEquals(2, p.waitFor(3));
        List<String> console = p.output().lines().filter(l -> !l.contains(" INFO ")).toList();
        assertEquals(1, console.size(), p.output());
        assertTrue(console.get(0).startsWith("quokka tokenize: bad.jsonl at byte 17: malformed JSON: "), p.output());
        assertTrue(console.get(0).endsWith("(use --lenient to quarantine bad records)"), p.output());
        try (Stream<String> l = Files.lines(log)) {
            assertTrue(l.anyMatch(x -> x.contains("at dev.quokka.dataprep.tokenize.TokenizePartition.call")), "the stack trace is in the log");
        }
    }

    private static void ok(CliTest.Result r) {
        assertEquals(0, r.code(), r.err());
    }
}
