package dev.quokka.dataprep.verify;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quokka.dataprep.SparkTest;
import dev.quokka.dataprep.shard.ShardJob;
import dev.quokka.dataprep.shard.ShardJobTest;
import dev.quokka.dataprep.shard.StudyConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("slow")
class VerifyJobTest {
    static String study;

    @TempDir
    Path tmp;

    @BeforeAll
    static void buildAStudy() throws Exception {
        ShardJobTest.tokenizeTheFixture();
        StudyConfig cfg = ShardJobTest.study("verify", 15_000, 2.7, 9);
        study = cfg.output();
        ShardJob.run(SparkTest.spark(), cfg);
    }

    @Test
    void anIntactStudyPasses() throws Exception {
        VerifyJob.Report r = VerifyJob.run(SparkTest.spark(), study);
        assertTrue(r.ok(), String.join("\n", r.problems()));
    }

    @Test
    void aFlippedTokenIsFoundAndNamed() throws Exception {
        Path copy = copy(study, tmp.resolve("flipped"));
        Path shard = copy.resolve("unique/part-00000.parquet");
        List<Row> rows = SparkTest.spark().read().parquet(shard.toString()).orderBy("rank").collectAsList();
        List<Row> changed = new ArrayList<>();
        for (Row r : rows) {
            Object[] v = new Object[r.size()];
            for (int i = 0; i < v.length; i++) v[i] = r.get(i);
            if (r.getInt(0) == 3) {
                List<Integer> t = new ArrayList<>(r.getList(4));
                t.set(1, t.get(1) + 1);
                v[4] = t.stream().mapToInt(Integer::intValue).toArray();
            }
            changed.add(RowFactory.create(v));
        }
        Path rewritten = tmp.resolve("rewritten");
        SparkTest.spark().createDataFrame(changed, SparkTest.spark().read().parquet(shard.toString()).schema())
                .coalesce(1).write().parquet(rewritten.toString());
        try (Stream<Path> s = Files.list(rewritten)) {
            Path part = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
            Files.copy(part, shard, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Files.deleteIfExists(copy.resolve("unique/.part-00000.parquet.crc"));
        VerifyJob.Report r = VerifyJob.run(SparkTest.spark(), copy.toString());
        assertFalse(r.ok());
        String all = String.join("\n", r.problems());
        long docId = rows.stream().filter(x -> x.getInt(0) == 3).findFirst().orElseThrow().getLong(1);
        assertTrue(all.contains("unique/part-00000.parquet: document " + docId + " does not match its checksum"), all);
        assertTrue(all.contains("unique: multiset checksum"), all);
    }

    @Test
    void aMissingFileIsNamed() throws Exception {
        Path copy = copy(study, tmp.resolve("missing"));
        Files.delete(copy.resolve("validation/part-00000.parquet"));
        Files.deleteIfExists(copy.resolve("validation/.part-00000.parquet.crc"));
        VerifyJob.Report r = VerifyJob.run(SparkTest.spark(), copy.toString());
        assertFalse(r.ok());
        String all = String.join("\n", r.problems());
        assertTrue(all.contains("validation/part-00000.parquet: missing"), all);
    }

    /** One byte flipped in place, its .crc sidecar left as it was: the file system's checksum names the file. */
    @Test
    void aFlippedByteIsNamedByItsFile() throws Exception {
        Path copy = copy(study, tmp.resolve("byte"));
        Path shard = copy.resolve("unique/part-00000.parquet");
        byte[] bytes = Files.readAllBytes(shard);
        bytes[bytes.length / 2] ^= 0x10;
        Files.write(shard, bytes);
        VerifyJob.Report r = VerifyJob.run(SparkTest.spark(), copy.toString());
        assertFalse(r.ok());
        String all = String.join("\n", r.problems());
        assertTrue(all.contains("unique/part-00000.parquet: its bytes changed after it was written"), all);
        assertTrue(all.contains("unique: no data file is left to check"), "the changed file is left out of what Spark reads: " + all);
        for (String p : r.problems()) assertFalse(p.contains("\n") || p.contains("\tat "), "one line each: " + p);
    }

    /** An edited manifest is a problem to report, checked against what it now says, not a crash. */
    @Test
    void anEditedManifestIsReported() throws Exception {
        Path copy = copy(study, tmp.resolve("manifest"));
        Path manifest = copy.resolve("_manifest.json");
        String text = Files.readString(manifest);
        String edited = text.replaceFirst("\"tokens\" : 15000", "\"tokens\" : 16000");
        assertFalse(edited.equals(text), "the fixture's manifest names U = 15000");
        Files.writeString(manifest, edited);
        VerifyJob.Report r = VerifyJob.run(SparkTest.spark(), copy.toString());
        assertFalse(r.ok());
        String all = String.join("\n", r.problems());
        assertTrue(all.contains("_manifest.json: its bytes changed after it was written"), all);
        assertTrue(all.contains("unique: tokens is 15000, the manifest says 16000"), all);

        Files.writeString(manifest, "{ not json");
        Files.deleteIfExists(copy.resolve("._manifest.json.crc"));
        r = VerifyJob.run(SparkTest.spark(), copy.toString());
        assertFalse(r.ok());
        assertTrue(String.join("\n", r.problems()).contains("_manifest.json: not a JSON manifest"), r.problems().toString());
    }

    static Path copy(String from, Path to) throws Exception {
        Path src = Path.of(java.net.URI.create(from.startsWith("file:") ? from : "file://" + from));
        try (Stream<Path> s = Files.walk(src)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
        return to;
    }
}
