package dev.quokka.dataprep.verify;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quokka.dataprep.format.DocIds;
import dev.quokka.dataprep.format.Multiset;
import dev.quokka.dataprep.format.Permutations;
import dev.quokka.dataprep.format.StudyFormat;
import dev.quokka.dataprep.provenance.AtomicOutput;
import dev.quokka.dataprep.shard.ShardJob;
import dev.quokka.dataprep.spark.PrefixSums;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code quokka verify}: re-reads a study and checks its accounting against the manifest. Every file is there with
 * its size; every document's tokens match its checksum; the unique subset holds exactly U tokens in contiguous
 * documents; every epoch's order is the seeded permutation of all of them, so each full epoch holds exactly the
 * unique multiset; the partial epoch sums to its checksum; and no validation document is in training, by id or by
 * the selection rule. Each problem names the file, the document or the epoch.
 */
public final class VerifyJob {
    private static final int SHOWN = 20;

    /** What verify found: nothing, or the problems with their locations. */
    public record Report(List<String> problems, long checkedTokens) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    private VerifyJob() {}

    public static Report run(SparkSession spark, String study) throws IOException {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Path dir = new Path(study);
        FileSystem fs = dir.getFileSystem(conf);
        List<String> problems = new ArrayList<>();
        if (!fs.exists(new Path(dir, AtomicOutput.MANIFEST))) {
            return new Report(List.of(study + ": no " + AtomicOutput.MANIFEST), 0);
        }
        if (!fs.exists(new Path(dir, AtomicOutput.SUCCESS))) problems.add(study + ": no " + AtomicOutput.SUCCESS + " (an unfinished write)");
        Path manifestPath = new Path(dir, AtomicOutput.MANIFEST);
        String changed = changedBytes(fs, manifestPath);
        // The manifest is read as a JSON tree, not as a StudyManifest: a verifier must report a damaged or edited
        // manifest section by section, where the record would refuse it whole.
        JsonNode m;
        if (changed == null) {
            try {
                m = AtomicOutput.readManifest(fs, dir);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                m = null;
            }
        } else {
            // Check the study against the manifest as it now reads: an edit that breaks the accounting shows below.
            problems.add(changed);
            m = readUnverified(manifestPath, conf);
        }
        if (m == null) {
            problems.add(manifestPath + ": not a JSON manifest");
            return new Report(problems, 0);
        }
        List<String> missing = new ArrayList<>();
        for (String section : List.of("unique", "validation", "index", "epochs", "stream", "config")) {
            if (!m.path(section).isContainerNode()) missing.add(manifestPath + ": no '" + section + "' section");
        }
        if (!missing.isEmpty()) {
            problems.addAll(missing);
            return new Report(problems, 0);
        }
        String root = fs.makeQualified(dir).toString();
        Set<String> damaged = new HashSet<>();
        boolean filesOk = true;
        try {
            filesOk = checkFiles(fs, dir, m.get("unique").get("files"), problems, damaged)
                    & checkFiles(fs, dir, m.get("validation").get("files"), problems, damaged)
                    & checkFiles(fs, dir, m.get("index").get("files"), problems, damaged)
                    & (!m.has("materialized") || checkFiles(fs, dir, m.get("materialized").get("files"), problems, damaged));
            check(spark, study, root, m, damaged, problems);
        } catch (RuntimeException e) { // a field the manifest lacks, a file Spark cannot decode: the problems so far stand
            problems.add(study + ": could not check to the end: " + firstLine(e));
        }
        if (!filesOk) problems.add(0, "files are missing or changed: the checks below see only what is left");
        return new Report(problems, m.path("unique").path("tokens").asLong() + m.path("validation").path("tokens").asLong());
    }

    private static void check(SparkSession spark, String study, String root, JsonNode m, Set<String> damaged, List<String> problems) {

        long u = m.get("unique").get("tokens").asLong();
        long n = m.get("unique").get("documents").asLong();
        Dataset<Row> unique = readListed(spark, root, m.get("unique").get("files"), damaged);
        if (unique == null) {
            problems.add("unique: no data file is left to check");
            return;
        }
        long uniqueChecksum = checkRows(unique, "unique", problems);
        Row totals = unique.agg(org.apache.spark.sql.functions.count(col("rank")), org.apache.spark.sql.functions.sum(col("n_tokens")),
                org.apache.spark.sql.functions.countDistinct(col("rank")), org.apache.spark.sql.functions.max(col("rank"))).first();
        expect(problems, "unique: documents", n, totals.getLong(0));
        expect(problems, "unique: distinct ranks", n, totals.getLong(2));
        expect(problems, "unique: tokens", u, totals.isNullAt(1) ? 0 : totals.getLong(1));
        expect(problems, "unique: multiset checksum", m.get("unique").get("checksum").asText(), Multiset.hex(uniqueChecksum));
        List<Row> gaps = PrefixSums.withRankAndStart(spark, unique.select("rank", "offset", "n_tokens"), "rank", "rank", "n_tokens", 8)
                .filter(col("start").notEqual(col("offset"))).limit(SHOWN).collectAsList();
        for (Row r : gaps) problems.add("unique: document of rank " + r.getInt(0) + " starts at offset " + r.getLong(1) + ", not " + r.getLong(r.fieldIndex("start")));

        Dataset<Row> validation = readListed(spark, root, m.get("validation").get("files"), damaged);
        if (validation == null) {
            problems.add("validation: no data file is left to check");
        } else {
            long valChecksum = checkRows(validation, "validation", problems);
            expect(problems, "validation: documents", m.get("validation").get("documents").asLong(), validation.count());
            expect(problems, "validation: multiset checksum", m.get("validation").get("checksum").asText(), Multiset.hex(valChecksum));
            // No leak by id.
            for (Row r : unique.select("doc_id").join(validation.select("doc_id"), "doc_id").limit(SHOWN).collectAsList()) {
                problems.add("leak: validation document " + r.getLong(0) + " is in the training subset");
            }
        }
        // No leak by rule: no training document may be one that the validation rule selects.
        JsonNode config = m.get("config");
        if (config.has("validation_fraction")) {
            long threshold = (long) (config.get("validation_fraction").asDouble() * (1L << 53));
            for (Row r : unique.select("doc_id").javaRDD().filter(r -> (DocIds.mix(r.getLong(0), StudyFormat.VALIDATION_SALT) >>> 11) < threshold)
                    .take(SHOWN)) {
                problems.add("leak: training document " + r.getLong(0) + " meets the validation rule");
            }
        }

        checkEpochs(spark, study, root, m, n, uniqueChecksum, damaged, problems);
    }

    private static void checkEpochs(SparkSession spark, String study, String root, JsonNode m, long n, long uniqueChecksum,
                                    Set<String> damaged, List<String> problems) {
        long seed = m.get("index").get("seed").asLong();
        int epochs = m.get("index").get("epochs").asInt();
        Dataset<Row> indexFiles = readListed(spark, root, m.get("index").get("files"), damaged);
        if (indexFiles == null) {
            problems.add("index: no data file is left to check");
            return;
        }
        JavaRDD<Row> index = indexFiles.select(col("epoch"), col("order"), col("_metadata.file_path")).javaRDD();
        List<String> bad = index.flatMap(r -> {
            List<String> out = new ArrayList<>();
            int k = r.getInt(0);
            int[] order = r.getList(1).stream().mapToInt(x -> (Integer) x).toArray();
            if (order.length != n || !Permutations.isPermutation(order)) {
                out.add(r.getString(2) + ": epoch " + k + " is not a permutation of the " + n + " unique documents");
            } else if (!java.util.Arrays.equals(order, Permutations.documents(seed, k, (int) n))) {
                out.add(r.getString(2) + ": epoch " + k + " is not the order the seed gives");
            }
            return out.iterator();
        }).take(SHOWN);
        problems.addAll(bad);
        Set<Integer> present = new HashSet<>(index.map(r -> r.getInt(0)).collect());
        for (int k = 0; k < epochs; k++) if (!present.contains(k)) problems.add("index: epoch " + k + " is missing");
        long u = m.get("unique").get("tokens").asLong();
        for (JsonNode e : m.get("epochs")) {
            int k = e.get("epoch").asInt();
            long tokens = e.get("tokens").asLong();
            long sum = tokens == u ? uniqueChecksum : ShardJob.partialEpochChecksum(study, seed, k, (int) n, tokens);
            expect(problems, "epoch " + k + ": multiset checksum", e.get("checksum").asText(), Multiset.hex(sum));
        }
        long d = m.get("stream").get("tokens").asLong();
        int seqLen = m.get("stream").get("seq_len").asInt();
        expect(problems, "stream: tokens", Math.round(u * m.get("config").get("epochs").asDouble()), d);
        expect(problems, "stream: sequences", (d - 1) / seqLen, m.get("stream").get("sequences").asLong());
    }

    /** Recomputes every row's checksum in one pass; reports damaged rows with their file; returns the sum. */
    private static long checkRows(Dataset<Row> docs, String what, List<String> problems) {
        RowCheck total = docs.select(col("doc_id"), col("n_tokens"), col("tokens"), col("checksum"), col("_metadata.file_path"))
                .javaRDD().aggregate(new RowCheck(), (acc, r) -> {
                    List<Integer> t = r.getList(2);
                    long h = Multiset.of(t, t.size());
                    acc.sum += h;
                    if (t.size() != r.getInt(1)) acc.note(r.getString(4) + ": document " + r.getLong(0) + " has " + t.size() + " tokens, not " + r.getInt(1));
                    if (h != r.getLong(3)) acc.note(r.getString(4) + ": document " + r.getLong(0) + " does not match its checksum (a changed token)");
                    return acc;
                }, RowCheck::merge);
        for (String b : total.problems) problems.add(what + ": " + b);
        return total.sum;
    }

    /** A running checksum and the first problems found. */
    private static final class RowCheck implements java.io.Serializable {
        long sum;
        final List<String> problems = new ArrayList<>();

        void note(String problem) {
            if (problems.size() < SHOWN) problems.add(problem);
        }

        RowCheck merge(RowCheck other) {
            sum += other.sum;
            other.problems.forEach(this::note);
            return this;
        }
    }

    /**
     * Each listed file is there, of its size, and reads back whole: the file system's own checksums (the local
     * file system's {@code .crc} sidecars, HDFS's block checksums) catch a changed byte before Parquet sees it.
     * A changed file is named in {@code damaged}, and the checks that follow leave it out.
     */
    private static boolean checkFiles(FileSystem fs, Path dir, JsonNode files, List<String> problems, Set<String> damaged) throws IOException {
        boolean ok = true;
        for (JsonNode f : files) {
            Path p = new Path(dir, f.get("name").asText());
            if (!fs.exists(p)) {
                problems.add(p + ": missing");
                ok = false;
                continue;
            }
            FileStatus s = fs.getFileStatus(p);
            if (s.getLen() != f.get("bytes").asLong()) {
                // Still read below: its rows' own checksums can name the changed documents.
                problems.add(p + ": " + s.getLen() + " bytes, the manifest says " + f.get("bytes").asLong());
                ok = false;
            }
            String changed = changedBytes(fs, p);
            if (changed != null) {
                problems.add(changed);
                damaged.add(f.get("name").asText());
                ok = false;
            }
        }
        return ok;
    }

    /** Reads {@code p} to its end, through the file system's checksums; null if it reads whole, else what is wrong. */
    static String changedBytes(FileSystem fs, Path p) throws IOException {
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = fs.open(p)) {
            while (in.read(buffer) >= 0) {
                // reading is the check
            }
            return null;
        } catch (ChecksumException e) {
            return p + ": its bytes changed after it was written (the file system's checksum fails at byte " + e.getPos() + ")";
        }
    }

    /** The manifest as it reads now, past a checksum that no longer matches; null if it is not JSON. */
    private static JsonNode readUnverified(Path p, Configuration conf) throws IOException {
        try (FileSystem raw = FileSystem.newInstance(p.toUri(), conf)) {
            raw.setVerifyChecksum(false);
            try (InputStream in = raw.open(p)) {
                return new com.fasterxml.jackson.databind.ObjectMapper().readTree(in);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                return null;
            }
        }
    }

    private static String firstLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String m = root.getClass().getSimpleName() + ": " + root.getMessage();
        int eol = m.indexOf('\n');
        return eol < 0 ? m : m.substring(0, eol);
    }

    /** The files the manifest lists that are still there and undamaged, or null if none is. */
    private static Dataset<Row> readListed(SparkSession spark, String root, JsonNode files, Set<String> damaged) {
        List<String> paths = new ArrayList<>();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        for (JsonNode f : files) {
            if (damaged.contains(f.get("name").asText())) continue;
            Path p = new Path(root, f.get("name").asText());
            try {
                if (p.getFileSystem(conf).exists(p)) paths.add(p.toString());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        if (paths.isEmpty()) return null;
        return spark.read().parquet(paths.toArray(String[]::new));
    }

    private static void expect(List<String> problems, String what, Object expected, Object actual) {
        if (!expected.equals(actual)) problems.add(what + " is " + actual + ", the manifest says " + expected);
    }
}
