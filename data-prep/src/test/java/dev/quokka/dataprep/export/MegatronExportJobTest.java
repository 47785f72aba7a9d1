package dev.quokka.dataprep.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quokka.dataprep.SparkTest;
import dev.quokka.dataprep.shard.ShardJob;
import dev.quokka.dataprep.shard.ShardJobTest;
import dev.quokka.dataprep.shard.StudyConfig;
import dev.quokka.dataprep.study.StudyReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A study exported as Megatron indexed datasets and read back by {@link Reader}, written here from the layout of
 * Megatron-LM's {@code _IndexReader} (megatron/core/datasets/indexed_dataset.py) and not from the writer: every
 * document's tokens and every boundary come back, in the study's order, in both dtypes and across many parts.
 */
@Tag("slow")
class MegatronExportJobTest {
    static StudyConfig study;
    @TempDir static Path dir;

    @BeforeAll
    static void buildAStudy() throws Exception {
        ShardJobTest.tokenizeTheFixture();
        study = ShardJobTest.study("megatron", 15_000, 2, 5);
        ShardJob.run(SparkTest.spark(), study);
    }

    @Test
    void everyDocumentRoundTripsInBothDtypesAcrossParts() throws Exception {
        List<int[]> unique = documents(study.output() + "/unique", "rank"), validation = documents(study.output() + "/validation", "doc_id");
        for (String dtype : List.of("auto", "int32")) {
            Path out = dir.resolve("export-" + dtype);
            MegatronExportJob.Result r = MegatronExportJob.run(SparkTest.spark(), new MegatronExportJob.Config(study.output(), out.toString(), dtype, dtype.equals("auto"), 2_000));
            int code = dtype.equals("auto") ? 8 : 4; // the fixture's vocabulary is small: uint16
            Reader train = new Reader(out.resolve("train")), valid = new Reader(out.resolve("valid"));
            assertEquals(code, train.code);
            assertEquals(unique.size(), train.sequences());
            for (int i = 0; i < unique.size(); i++) assertArrayEquals(unique.get(i), train.sequence(i), "train document " + i + " (" + dtype + ")");
            assertEquals(validation.size(), valid.sequences());
            for (int i = 0; i < validation.size(); i++) assertArrayEquals(validation.get(i), valid.sequence(i), "valid document " + i);
            for (int d = 0; d < train.documentIndices.length; d++) assertEquals(d, train.documentIndices[d], "one sequence per document");

            JsonNode study = new ObjectMapper().readTree(Path.of(ShardJobTest.study("megatron", 15_000, 2, 5).output(), "_manifest.json").toFile());
            JsonNode m = new ObjectMapper().readTree(out.resolve("_manifest.json").toFile());
            assertEquals(study.path("unique").path("tokens").asLong(), m.path("splits").get(0).path("tokens").asLong());
            assertEquals(15_000, train.tokens());
            assertEquals(study.path("validation").path("tokens").asLong(), valid.tokens());
            assertEquals(sha256(out.resolve("train.bin")), m.path("splits").get(0).path("bin_sha256").asText());
            assertEquals(study.path("unique").path("checksum").asText(), m.path("splits").get(0).path("multiset_checksum").asText());
            assertEquals(study.path("validation").path("checksum").asText(), m.path("splits").get(1).path("multiset_checksum").asText());
            assertEquals(sha256(out.resolve("valid.idx")), m.path("splits").get(1).path("idx_sha256").asText());
            assertEquals(sha256(Path.of(this.study.output(), "_manifest.json")), m.path("study_manifest_sha256").asText());
            assertTrue(Files.exists(out.resolve("_SUCCESS")));
            if (dtype.equals("auto")) { // --stream: the training sequences, in the order this project's trainer reads them
                Reader stream = new Reader(out.resolve("stream"));
                StudyReader reader = StudyReader.open(this.study.output(), new org.apache.hadoop.conf.Configuration());
                assertEquals(reader.sequences(), stream.sequences());
                assertEquals(study.path("stream").path("sequences").asLong(), stream.sequences());
                int[] expected = new int[reader.window()];
                for (long j = 0; j < reader.sequences(); j++) {
                    reader.read(j, expected);
                    assertArrayEquals(expected, stream.sequence((int) j), "stream sequence " + j);
                }
                assertEquals("stream", m.path("splits").get(2).path("name").asText());
            } else {
                assertTrue(!Files.exists(out.resolve("stream.bin")));
            }
            assertEquals(r.manifest().splits().get(0).binBytes(), Files.size(out.resolve("train.bin")));
        }
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> MegatronExportJob.run(SparkTest.spark(), new MegatronExportJob.Config(dir.resolve("nothing").toString(), dir.resolve("x").toString(), "auto", false)));
        assertTrue(bad.getMessage().contains("is not a complete study"), bad.getMessage());
        assertTrue(!Files.exists(dir.resolve("x")));
    }

    /** Each document's tokens, in the order of {@code key}. */
    private static List<int[]> documents(String path, String key) {
        List<int[]> docs = new ArrayList<>();
        for (Row r : SparkTest.spark().read().parquet(path).orderBy(key).select("tokens").collectAsList()) {
            docs.add(r.<Integer>getList(0).stream().mapToInt(Integer::intValue).toArray());
        }
        return docs;
    }

    private static String sha256(Path p) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }

    /** Megatron's reader, in Java: the index's fields in its order, then sequences at their pointers. */
    static final class Reader {
        final int code;
        final int[] lengths;
        final long[] pointers, documentIndices;
        final ByteBuffer bin;

        Reader(Path prefix) throws IOException {
            ByteBuffer idx = ByteBuffer.wrap(Files.readAllBytes(Path.of(prefix + ".idx"))).order(ByteOrder.LITTLE_ENDIAN);
            byte[] header = new byte[9];
            idx.get(header);
            assertArrayEquals(new byte[] {'M', 'M', 'I', 'D', 'I', 'D', 'X', 0, 0}, header);
            assertEquals(1, idx.getLong(), "version");
            code = idx.get();
            int sequences = Math.toIntExact(idx.getLong()), documents = Math.toIntExact(idx.getLong());
            lengths = new int[sequences];
            for (int i = 0; i < sequences; i++) lengths[i] = idx.getInt();
            pointers = new long[sequences];
            for (int i = 0; i < sequences; i++) pointers[i] = idx.getLong();
            documentIndices = new long[documents];
            for (int i = 0; i < documents; i++) documentIndices[i] = idx.getLong();
            assertEquals(0, idx.remaining(), "nothing after the document indices");
            bin = ByteBuffer.wrap(Files.readAllBytes(Path.of(prefix + ".bin"))).order(ByteOrder.LITTLE_ENDIAN);
        }

        int sequences() {
            return lengths.length;
        }

        long tokens() {
            long t = 0;
            for (int l : lengths) t += l;
            return t;
        }

        int[] sequence(int i) {
            int[] t = new int[lengths[i]];
            for (int k = 0; k < t.length; k++) {
                t[k] = code == 8 ? Short.toUnsignedInt(bin.getShort((int) pointers[i] + 2 * k)) : bin.getInt((int) pointers[i] + 4 * k);
            }
            return t;
        }
    }
}
