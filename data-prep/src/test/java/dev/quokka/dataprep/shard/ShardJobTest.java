package dev.quokka.dataprep.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quokka.dataprep.SparkTest;
import dev.quokka.dataprep.provenance.DocsManifest;
import dev.quokka.dataprep.provenance.ManifestJson;
import dev.quokka.dataprep.provenance.StudyManifest;
import dev.quokka.dataprep.tokenize.TokenizeConfig;
import dev.quokka.dataprep.tokenize.TokenizeJob;
import dev.quokka.dataprep.tokenize.TokenizeJobTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("slow")
public class ShardJobTest {
    static Path dir;
    public static String docs;
    static long corpusTokens;

    @BeforeAll
    public static synchronized void tokenizeTheFixture() throws Exception {
        if (docs != null && Files.exists(Path.of(docs))) return;
        if (dir == null) dir = Files.createTempDirectory("quokka-shard");
        Path in = dir.resolve("europarl.txt");
        Files.write(in, SparkTest.fixtureLines("corpus/europarl-sample.txt.gz"), StandardCharsets.UTF_8);
        docs = dir.resolve("docs").toString();
        JsonNode m = TokenizeJob.run(SparkTest.spark(), new TokenizeConfig(List.of(in.toString()), TokenizeConfig.Format.LINES,
                "text", false, SparkTest.writeTokenizer(dir).toString(), docs, false, false, TokenizeConfig.DEFAULT_MAX_DOCUMENT_BYTES)).json();
        corpusTokens = m.get("counts").get("tokens").asLong();
    }

    public static StudyConfig study(String name, long u, double e, long seed) {
        return new StudyConfig(docs, dir.resolve(name).toString(), u, e, 64, seed, 0.1, 0, false, false);
    }

    static JsonNode shard(StudyConfig cfg) throws Exception {
        return ShardJob.run(SparkTest.spark(), cfg).json();
    }

    @Test
    void exactBudgetNestedSubsetsAndAFixedDisjointValidationSet() throws Exception {
        JsonNode small = shard(study("u20k", 20_000, 1, 7));
        JsonNode large = shard(study("u50k", 50_000, 1, 7));
        JsonNode otherSeed = shard(study("u20k-seed8", 20_000, 1, 8));

        assertEquals(20_000, small.get("unique").get("tokens").asLong());
        assertEquals(20_000L, sumTokens("u20k"));
        assertEquals(50_000L, sumTokens("u50k"));
        List<Integer> a = stream("u20k"), b = stream("u50k"), c = stream("u20k-seed8");
        assertEquals(a, b.subList(0, a.size()), "for one seed a smaller budget is a prefix of a larger one");
        assertNotEquals(a, c, "another seed takes other documents");

        assertEquals(small.get("validation"), large.get("validation"));
        assertEquals(small.get("validation"), otherSeed.get("validation"), "the validation set does not depend on U or the seed");
        Set<Long> val = ids("u20k/validation");
        assertTrue(val.size() > 5);
        for (String s : List.of("u20k", "u50k", "u20k-seed8")) {
            Set<Long> train = ids(s + "/unique");
            train.retainAll(val);
            assertEquals(Set.of(), train, s + ": validation documents in training");
        }
        assertEquals(0, large.get("disjoint").get("validation_documents_in_training").asLong());
    }

    /** The records are the format: a manifest read into its record and written again is the same bytes. */
    @Test
    void manifestsAreTheirTypedRecordsFieldForField() throws Exception {
        shard(study("typed", 10_000, 2.5, 3));
        for (Path d : List.of(dir.resolve("typed"), Path.of(docs))) {
            String onDisk = Files.readString(d.resolve("_manifest.json"));
            Class<?> type = d.endsWith("typed") ? StudyManifest.class : DocsManifest.class;
            assertEquals(onDisk, ManifestJson.pretty(ManifestJson.read(new ObjectMapper().readTree(onDisk), type)), d + ": as " + type.getSimpleName());
        }
    }

    @Test
    void fractionalEpochsAccountForEveryToken() throws Exception {
        JsonNode m = shard(study("e2.5", 10_000, 2.5, 3));
        JsonNode epochs = m.get("epochs");
        assertEquals(3, epochs.size());
        long total = 0;
        for (JsonNode e : epochs) total += e.get("tokens").asLong();
        assertEquals(25_000, total);
        assertEquals(25_000, m.get("stream").get("tokens").asLong());
        assertEquals(m.get("unique").get("checksum"), epochs.get(0).get("checksum"));
        assertEquals(m.get("unique").get("checksum"), epochs.get(1).get("checksum"));
        assertNotEquals(m.get("unique").get("checksum"), epochs.get(2).get("checksum"));
        long sequences = 0;
        for (JsonNode e : epochs) sequences += e.get("sequences").asLong();
        assertEquals(m.get("stream").get("sequences").asLong(), sequences);
        assertEquals((25_000 - 1) / 64, sequences);
    }

    @Test
    void rerunsAreIdenticalAndTooLargeABudgetIsRefused() throws Exception {
        shard(study("r1", 30_000, 4, 11));
        shard(study("r2", 30_000, 4, 11));
        var a = TokenizeJobTest.tree(dir.resolve("r1"));
        var b = TokenizeJobTest.tree(dir.resolve("r2"));
        assertEquals(a, b);
        assertTrue(ShardJob.run(SparkTest.spark(), study("r1", 30_000, 4, 11)).upToDate());
        StudyConfig relative = new StudyConfig(Path.of("").toAbsolutePath().relativize(Path.of(docs)).toString(), dir.resolve("r1").toString(),
                30_000, 4, 64, 11, 0.1, 0, false, false);
        assertTrue(ShardJob.run(SparkTest.spark(), relative).upToDate(), "the docs by a relative path are the same request");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> shard(study("big", corpusTokens, 1, 1)));
        assertTrue(e.getMessage().contains("is more than the"), e.getMessage());
    }

    @Test
    void validationByTokenCountTakesWholeDocumentsInHashOrder() throws Exception {
        JsonNode m = ShardJob.run(SparkTest.spark(), new StudyConfig(docs, dir.resolve("vt").toString(), 10_000, 1, 64, 1, 0, 5_000, false, false)).json();
        long tokens = m.get("validation").get("tokens").asLong();
        assertTrue(tokens >= 5_000 && tokens < 5_000 + 2_000, "validation tokens " + tokens);
    }

    private static long sumTokens(String study) {
        return SparkTest.spark().read().parquet(dir.resolve(study + "/unique").toString()).agg(org.apache.spark.sql.functions.sum("n_tokens")).first().getLong(0);
    }

    /** The unique tokens in rank order. */
    private static List<Integer> stream(String study) {
        List<Integer> out = new ArrayList<>();
        for (Row r : SparkTest.spark().read().parquet(dir.resolve(study + "/unique").toString()).orderBy("rank").collectAsList()) {
            out.addAll(r.getList(r.fieldIndex("tokens")));
        }
        return out;
    }

    private static Set<Long> ids(String path) {
        Set<Long> out = new HashSet<>();
        SparkTest.spark().read().parquet(dir.resolve(path).toString()).select("doc_id").collectAsList().forEach(r -> out.add(r.getLong(0)));
        return out;
    }
}
