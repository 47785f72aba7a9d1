package dev.quokka.dataprep.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quokka.dataprep.SparkTest;
import dev.quokka.dataprep.format.DocIds;
import dev.quokka.dataprep.provenance.InputFiles;
import dev.quokka.dataprep.provenance.OutputExistsException;
import dev.quokka.dataprep.spark.ZstdCodec;
import dev.quokka.dataprep.tokenize.TokenizeConfig.Format;
import dev.quokka.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.io.compress.BZip2Codec;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("slow")
public class TokenizeJobTest {
    @TempDir
    Path dir;

    private TokenizeConfig config(List<String> inputs, Format format, String output, boolean lenient) throws IOException {
        return new TokenizeConfig(inputs, format, "text", false, SparkTest.writeTokenizer(dir).toString(), output, lenient,
                false, TokenizeConfig.DEFAULT_MAX_DOCUMENT_BYTES);
    }

    @Test
    void linesBecomeDocumentsWithExactAccounting() throws Exception {
        List<String> lines = SparkTest.fixtureLines("corpus/europarl-sample.txt.gz");
        Path in = dir.resolve("corpus/europarl.txt");
        Files.createDirectories(in.getParent());
        Files.write(in, lines, StandardCharsets.UTF_8);
        Path out = dir.resolve("docs");
        JsonNode m = TokenizeJob.run(SparkTest.spark(), config(List.of(dir.resolve("corpus").toString()), Format.LINES, out.toString(), false)).json();

        Tokenizer t = SparkTest.tokenizer();
        int eod = t.specialTokens().endOfDocument();
        Map<Long, int[]> expected = new HashMap<>();
        long offset = 0, tokens = 0, empty = 0;
        for (String line : lines) {
            if (line.isEmpty()) {
                empty++;
            } else {
                int[] ids = t.encode(line);
                int[] withEod = Arrays.copyOf(ids, ids.length + 1);
                withEod[ids.length] = eod;
                expected.put(DocIds.of("europarl.txt", offset), withEod);
                tokens += withEod.length;
            }
            offset += line.getBytes(StandardCharsets.UTF_8).length + 1;
        }
        JsonNode c = m.get("counts");
        assertEquals(lines.size(), c.get("records").asLong());
        assertEquals(expected.size(), c.get("documents").asLong());
        assertEquals(empty, c.get("empty").asLong());
        assertEquals(0, c.get("rejected").asLong());
        assertEquals(tokens, c.get("tokens").asLong());

        List<Row> rows = SparkTest.spark().read().parquet(out.toString()).collectAsList();
        assertEquals(expected.size(), rows.size());
        for (Row r : rows) {
            int[] actual = r.getList(4).stream().mapToInt(x -> (Integer) x).toArray();
            assertArrayEquals(expected.get(r.getLong(0)), actual, "document " + r.getString(1) + "@" + r.getLong(2));
            assertEquals(actual.length, r.getInt(3));
            assertEquals("europarl.txt", r.getString(1));
        }
        assertTrue(Files.exists(out.resolve("_SUCCESS")));
        assertTrue(Files.exists(out.resolve("part-00000.parquet")));
        assertEquals(m.get("inputs").get(0).get("sha256").asText(), InputFiles.sha256(in.toUri().toString(), new org.apache.hadoop.conf.Configuration()));
    }

    @Test
    void rerunsAreByteIdenticalAndSplitsDoNotChangeTheDocuments() throws Exception {
        Path in = dir.resolve("sotu.txt");
        List<String> lines = new ArrayList<>(SparkTest.fixtureLines("corpus/europarl-sample.txt.gz"));
        Files.write(in, lines, StandardCharsets.UTF_8);
        Path a = dir.resolve("a"), b = dir.resolve("b");
        TokenizeJob.run(SparkTest.spark(), config(List.of(in.toString()), Format.LINES, a.toString(), false));
        TokenizeJob.run(SparkTest.spark(), config(List.of(in.toString()), Format.LINES, b.toString(), false));
        assertEquals(tree(a), tree(b), "the same command writes the same bytes");
        // Smaller input splits (a different block size) give more files, but the same documents.
        Path c = dir.resolve("c");
        var hadoop = SparkTest.spark().sparkContext().hadoopConfiguration();
        hadoop.set("mapreduce.input.fileinputformat.split.maxsize", "20000");
        try {
            TokenizeJob.run(SparkTest.spark(), config(List.of(in.toString()), Format.LINES, c.toString(), false));
        } finally {
            hadoop.unset("mapreduce.input.fileinputformat.split.maxsize");
        }
        assertTrue(Files.exists(c.resolve("part-00005.parquet")));
        assertEquals(documents(a), documents(c));
        assertTrue(TokenizeJob.run(SparkTest.spark(), config(List.of(in.toString()), Format.LINES, a.toString(), false)).upToDate(),
                "a rerun of a complete output is a no-op");
    }

    @Test
    void badJsonlFailsInStrictModeNamingTheRecord() throws Exception {
        Path in = jsonlWithBadRecords();
        Path out = dir.resolve("strict");
        BadRecordException e = assertThrows(BadRecordException.class,
                () -> TokenizeJob.run(SparkTest.spark(), config(List.of(in.toString()), Format.JSONL, out.toString(), false)));
        assertTrue(e.getMessage().matches("(?s)docs\\.jsonl at byte \\d+: .*"), e.getMessage());
        assertFalse(Files.exists(out), "a failed job leaves no output");
        try (Stream<Path> s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains(".staging-")), "nor a staging directory");
        }
    }

    @Test
    void badJsonlIsQuarantinedAndCountedInLenientMode() throws Exception {
        Path in = jsonlWithBadRecords();
        Path out = dir.resolve("lenient");
        JsonNode c = TokenizeJob.run(SparkTest.spark(), config(List.of(in.toString()), Format.JSONL, out.toString(), true)).json().get("counts");
        assertEquals(9, c.get("records").asLong());
        assertEquals(3, c.get("documents").asLong());
        assertEquals(1, c.get("empty").asLong()); // the blank line
        assertEquals(5, c.get("rejected").asLong());
        assertEquals(Map.of("invalid_utf8", 1L, "malformed_json", 1L, "missing_field", 1L, "not_a_string", 1L, "null_text", 1L),
                toMap(c.get("rejected_by_reason")));
        assertEquals(1, c.get("replaced_lone_surrogates").asLong());
        List<Row> rejected = SparkTest.spark().read().json(out.resolve("_rejected").toString()).orderBy("position").collectAsList();
        assertEquals(5, rejected.size());
        for (Row r : rejected) assertTrue(r.getAs("detail").toString().startsWith("docs.jsonl at byte " + r.getAs("position") + ": "), r.toString());
    }

    /** A gzip file cut short, as a broken download leaves it: 2,000 lines, then half of the compressed bytes. */
    private Path truncatedGzip(String name) throws IOException {
        java.io.ByteArrayOutputStream whole = new java.io.ByteArrayOutputStream();
        try (OutputStream o = new GZIPOutputStream(whole)) {
            for (int i = 0; i < 2000; i++) o.write(("line " + i + " of a book that was never downloaded whole\n").getBytes(StandardCharsets.UTF_8));
        }
        byte[] bytes = whole.toByteArray();
        Path p = dir.resolve(name);
        Files.write(p, Arrays.copyOf(bytes, bytes.length / 2));
        return p;
    }

    @Test
    void aTruncatedGzipFileIsNamedInStrictModeAndQuarantinedInLenientMode() throws Exception {
        for (Format format : List.of(Format.LINES, Format.TEXT)) {
            Path in = truncatedGzip("cut-" + format + ".txt.gz");
            Path strict = dir.resolve("strict-" + format);
            BadRecordException e = assertThrows(BadRecordException.class,
                    () -> TokenizeJob.run(SparkTest.spark(), config(List.of(in.toString()), format, strict.toString(), false)));
            assertTrue(e.getMessage().startsWith(in.getFileName() + (format == Format.LINES ? " after the record at byte " : ": ")), e.getMessage());
            assertTrue(e.getMessage().contains("the file ends early (truncated?)"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
            assertFalse(Files.exists(strict));

            // Beside a good file, so that the output has documents to keep (a TEXT file is one document, lost whole).
            Path good = dir.resolve("good-" + format + ".txt");
            Files.writeString(good, "a whole file\n");
            Path lenient = dir.resolve("lenient-" + format);
            JsonNode c = TokenizeJob.run(SparkTest.spark(), config(List.of(in.toString(), good.toString()), format, lenient.toString(), true))
                    .json().get("counts");
            assertEquals(Map.of("unreadable", 1L), toMap(c.get("rejected_by_reason")));
            assertEquals(c.get("records").asLong(), c.get("documents").asLong() + c.get("empty").asLong() + c.get("rejected").asLong());
            if (format == Format.LINES) {
                assertTrue(c.get("documents").asLong() > 100, "the lines before the cut are kept: " + c);
            }
        }
    }

    @Test
    void anInputWithoutRecordsOrDocumentsIsAnErrorAndWritesNothing() throws Exception {
        Path empty = dir.resolve("empty.txt");
        Files.write(empty, new byte[0]);
        Path blank = dir.resolve("blank.txt");
        Files.writeString(blank, "\n\n\n");
        for (Format format : List.of(Format.LINES, Format.TEXT)) {
            Path out = dir.resolve("none-" + format);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TokenizeJob.run(SparkTest.spark(), config(List.of(empty.toString()), format, out.toString(), false)));
            assertTrue(e.getMessage().startsWith(format == Format.LINES ? "the input holds no records: empty.txt (0 bytes)" : "no documents: "),
                    e.getMessage());
            assertFalse(Files.exists(out));
            IllegalArgumentException b = assertThrows(IllegalArgumentException.class,
                    () -> TokenizeJob.run(SparkTest.spark(), config(List.of(blank.toString()), Format.LINES, out.toString(), false)));
            assertTrue(b.getMessage().startsWith("no documents: the input's 3 records were 3 empty and 0 rejected"), b.getMessage());
            assertFalse(Files.exists(out));
        }
    }

    @Test
    void aRejectedRecordIsKeptWhole() throws Exception {
        String longBad = "{\"text\": " + "\"x".repeat(1) + "y".repeat(5000) + "}"; // an unterminated string: malformed JSON
        Path in = dir.resolve("long-bad.jsonl");
        Files.writeString(in, "{\"text\": \"fine\"}\n" + longBad + "\n");
        Path out = dir.resolve("long-bad");
        TokenizeJob.run(SparkTest.spark(), config(List.of(in.toString()), Format.JSONL, out.toString(), true));
        List<Row> rejected = SparkTest.spark().read().json(out.resolve("_rejected").toString()).collectAsList();
        assertEquals(1, rejected.size());
        assertEquals(longBad, rejected.get(0).getAs("record"));
    }

    @Test
    void textFilesAndParagraphsCompressedThreeWays() throws Exception {
        Path corpus = dir.resolve("books");
        Files.createDirectories(corpus);
        String book = "First paragraph,\nstill the first.\n\nSecond one.\n\n\n  \nThird; and the end.\n";
        Files.writeString(corpus.resolve("plain.txt"), book);
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(corpus.resolve("a.txt.gz")))) {
            o.write(book.getBytes(StandardCharsets.UTF_8));
        }
        BZip2Codec bzip = new BZip2Codec();
        bzip.setConf(new org.apache.hadoop.conf.Configuration());
        try (OutputStream o = bzip.createOutputStream(Files.newOutputStream(corpus.resolve("b.txt.bz2")))) {
            o.write(book.getBytes(StandardCharsets.UTF_8));
        }
        try (OutputStream o = new ZstdCodec().createOutputStream(Files.newOutputStream(corpus.resolve("c.txt.zst")))) {
            o.write(book.getBytes(StandardCharsets.UTF_8));
        }
        String tok = SparkTest.writeTokenizer(dir).toString();
        TokenizeConfig byParagraph = new TokenizeConfig(List.of(corpus + "/*"), Format.TEXT, "text", true, tok,
                dir.resolve("paragraphs").toString(), false, false, TokenizeConfig.DEFAULT_MAX_DOCUMENT_BYTES);
        JsonNode c = TokenizeJob.run(SparkTest.spark(), byParagraph).json().get("counts");
        assertEquals(12, c.get("documents").asLong(), "3 paragraphs in each of 4 files");
        Map<String, Long> perSource = new TreeMap<>();
        SparkTest.spark().read().parquet(dir.resolve("paragraphs").toString()).groupBy("source").count().collectAsList()
                .forEach(r -> perSource.put(r.getString(0), r.getLong(1)));
        assertEquals(Map.of("a.txt.gz", 3L, "b.txt.bz2", 3L, "c.txt.zst", 3L, "plain.txt", 3L), perSource);

        TokenizeConfig byFile = new TokenizeConfig(List.of(corpus.toString()), Format.TEXT, "text", false, tok,
                dir.resolve("files").toString(), false, false, 30);
        BadRecordException e = assertThrows(BadRecordException.class, () -> TokenizeJob.run(SparkTest.spark(), byFile));
        assertTrue(e.getMessage().contains("exceeds the limit of 30"), e.getMessage());
    }

    @Test
    void parquetTextColumn() throws Exception {
        Path in = dir.resolve("pq");
        List<Row> rows = List.of(RowFactory.create("hello world"), RowFactory.create(""), RowFactory.create("second document"));
        SparkTest.spark().createDataFrame(rows, new org.apache.spark.sql.types.StructType().add("content", "string"))
                .coalesce(1).write().parquet(in.toString());
        String tok = SparkTest.writeTokenizer(dir).toString();
        TokenizeConfig cfg = new TokenizeConfig(List.of(in.toString()), Format.PARQUET, "content", false, tok,
                dir.resolve("out").toString(), false, false, TokenizeConfig.DEFAULT_MAX_DOCUMENT_BYTES);
        JsonNode c = TokenizeJob.run(SparkTest.spark(), cfg).json().get("counts");
        assertEquals(2, c.get("documents").asLong());
        assertEquals(1, c.get("empty").asLong());
        TokenizeConfig wrong = new TokenizeConfig(List.of(in.toString()), Format.PARQUET, "text", false, tok,
                dir.resolve("out2").toString(), false, false, TokenizeConfig.DEFAULT_MAX_DOCUMENT_BYTES);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TokenizeJob.run(SparkTest.spark(), wrong));
        assertTrue(e.getMessage().contains("no column 'text' (columns: content)"), e.getMessage());
    }

    @Test
    void aFailedJobLeavesNothingBehindWhileItsOtherTasksAreStillRunning() throws Exception {
        // Many splits that fail at once: when the job fails, some tasks are still starting or writing, and one that
        // outlived the job would recreate the output directory its clean-up had just removed.
        Path corpus = Files.createDirectories(dir.resolve("mixed"));
        List<String> book = SparkTest.fixtureLines("corpus/gutenberg-sample.txt.gz");
        String text = String.join("\n", book) + "\n";
        for (int f = 0; f < 8; f++) {
            byte[] bytes = ((f == 0 ? "ok\nbad X\n" : "") + text).getBytes(StandardCharsets.UTF_8);
            if (f == 0) bytes[7] = (byte) 0xC3; // the X: invalid UTF-8 on the second line
            Files.write(corpus.resolve("part-" + f + ".txt"), bytes);
        }
        Path work = Files.createDirectories(dir.resolve("work"));
        for (int attempt = 0; attempt < 4; attempt++) {
            assertThrows(BadRecordException.class, () -> TokenizeJob.run(SparkTest.spark(),
                    config(List.of(corpus.toString()), Format.LINES, work.resolve("docs").toString(), false)));
            Thread.sleep(300); // a task that outlived the job would be writing now
            try (Stream<Path> left = Files.list(work)) {
                assertEquals(List.of(), left.toList(), "the failed job's output directory must be gone");
            }
        }
    }

    @Test
    void existingOutputNeedsOverwriteAndKilledRunsAreCleanedUp() throws Exception {
        Path in = dir.resolve("x.txt");
        Files.writeString(in, "one\ntwo\n");
        Path out = dir.resolve("o");
        TokenizeJob.run(SparkTest.spark(), config(List.of(in.toString()), Format.LINES, out.toString(), false));
        String relative = Path.of("").toAbsolutePath().relativize(in).toString();
        assertTrue(TokenizeJob.run(SparkTest.spark(), config(List.of(relative), Format.LINES, out.toString(), false)).upToDate(),
                "the same input by a relative path is the same request");
        Files.writeString(in, "one\ntwo\nthree\n");
        OutputExistsException e = assertThrows(OutputExistsException.class,
                () -> TokenizeJob.run(SparkTest.spark(), config(List.of(in.toString()), Format.LINES, out.toString(), false)));
        assertTrue(e.getMessage().contains("use --overwrite"), e.getMessage());
        // A killed run left a staging directory and no marker in a half-written output.
        Path stale = dir.resolve(".o.staging-killed");
        Files.createDirectories(stale);
        Files.delete(out.resolve("_SUCCESS"));
        TokenizeConfig overwrite = new TokenizeConfig(List.of(in.toString()), Format.LINES, "text", false,
                SparkTest.writeTokenizer(dir).toString(), out.toString(), false, true, TokenizeConfig.DEFAULT_MAX_DOCUMENT_BYTES);
        assertEquals(3, TokenizeJob.run(SparkTest.spark(), overwrite).json().get("counts").get("documents").asLong());
        assertFalse(Files.exists(stale));
        assertTrue(Files.exists(out.resolve("_SUCCESS")));
    }

    private Path jsonlWithBadRecords() throws IOException {
        Path in = dir.resolve("docs.jsonl");
        try (OutputStream o = Files.newOutputStream(in)) {
            o.write(("{\"text\": \"A good document.\"}\n"
                    + "{\"text\": \"Another, with a lone surrogate \\ud800 here.\"}\n"
                    + "{\"text\": oops}\n"
                    + "{\"body\": \"no text field\"}\n"
                    + "{\"text\": 42}\n"
                    + "{\"text\": null}\n"
                    + "\n").getBytes(StandardCharsets.UTF_8));
            o.write(new byte[] {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'});
            o.write("{\"text\": \"The last good one.\", \"id\": 7}\n".getBytes(StandardCharsets.UTF_8));
        }
        return in;
    }

    private static Map<String, Long> toMap(JsonNode n) {
        Map<String, Long> m = new TreeMap<>();
        n.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asLong()));
        return m;
    }

    /** doc_id -> tokens, in id order. */
    static Map<Long, List<Integer>> documents(Path docs) {
        Map<Long, List<Integer>> out = new TreeMap<>();
        SparkTest.spark().read().parquet(docs.toString()).collectAsList().forEach(r -> out.put(r.getLong(0), r.getList(4)));
        return out;
    }

    /** Relative path -> bytes of every file under a directory. */
    public static Map<String, String> tree(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                out.put(root.relativize(p).toString(), java.util.HexFormat.of().formatHex(DocIds.sha256().digest(Files.readAllBytes(p))));
            }
        }
        return out;
    }
}
