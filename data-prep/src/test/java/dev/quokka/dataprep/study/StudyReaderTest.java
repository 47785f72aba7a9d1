package dev.quokka.dataprep.study;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quokka.dataprep.SparkTest;
import dev.quokka.dataprep.provenance.StudyManifest;
import dev.quokka.dataprep.shard.ShardJob;
import dev.quokka.dataprep.shard.ShardJobTest;
import dev.quokka.dataprep.shard.StudyConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("slow")
class StudyReaderTest {
    static String study;
    static StudyManifest manifest;
    static StudyReader reader;

    @BeforeAll
    static void buildAStudy() throws Exception {
        ShardJobTest.tokenizeTheFixture();
        StudyConfig cfg = ShardJobTest.study("reader", 12_345, 3.4, 5);
        study = cfg.output();
        manifest = ShardJob.run(SparkTest.spark(), cfg).manifest();
        reader = StudyReader.open(study, new Configuration());
    }

    @Test
    void everyFullEpochStreamIsTheUniqueTokensInItsIndexOrder() {
        int[] unique = uniqueTokens();
        int u = unique.length;
        for (int k = 0; k < 3; k++) {
            int[] epoch = new int[u];
            reader.readTokens((long) k * u, epoch, u);
            assertArrayEquals(sorted(unique), sorted(epoch), "epoch " + k + " holds the unique multiset");
            // It follows the stored index: that epoch's row, and its first document comes first.
            Row stored = SparkTest.spark().read().parquet(study + "/index").filter("epoch = " + k).first();
            assertArrayEquals(stored.getList(1).stream().mapToInt(x -> (Integer) x).toArray(), reader.epochOrder(k));
            int first = reader.epochOrder(k)[0];
            int[] firstDoc = documentTokens(first);
            assertArrayEquals(firstDoc, Arrays.copyOf(epoch, firstDoc.length));
        }
        assertNotEquals(Arrays.toString(reader.epochOrder(0)), Arrays.toString(reader.epochOrder(1)), "epochs are reshuffled");
    }

    @Test
    void trainingOrderIsAShuffleOfEachEpochsWindows() {
        assertEquals(manifest.stream().sequences(), reader.sequences());
        int w = reader.window();
        for (int k = 0; k < reader.epochs(); k++) {
            assertEquals(manifest.epochs().get(k).sequences(), reader.sequencesIn(k));
            List<int[]> training = new ArrayList<>(), stream = new ArrayList<>();
            long first = reader.firstSequence(k);
            for (long i = 0; i < reader.sequencesIn(k); i++) {
                int[] a = new int[w], b = new int[w];
                reader.read(first + i, a);
                reader.readStream(first + i, b);
                training.add(a);
                stream.add(b);
                assertEquals(k, reader.epochOf(first + i));
            }
            assertNotEquals(render(training), render(stream), "epoch " + k + " is shuffled");
            training.sort(Comparator.comparing(Arrays::toString));
            stream.sort(Comparator.comparing(Arrays::toString));
            assertEquals(render(stream), render(training), "epoch " + k + " has exactly its own windows");
        }
        // Consecutive stream windows overlap by one token.
        int[] a = new int[w], b = new int[w];
        reader.readStream(10, a);
        reader.readStream(11, b);
        assertEquals(a[w - 1], b[0]);
        assertEquals(3.4, reader.epochsAfter(reader.sequences() - 1), 0.02);
    }

    @Test
    void theMaterializedFormGivesTheSameStream() throws Exception {
        StudyConfig cfg = new StudyConfig(ShardJobTest.docs, study + "-materialized", 12_345, 3.4, 64, 5, 0.1, 0, false, true);
        StudyManifest m = ShardJob.run(SparkTest.spark(), cfg).manifest();
        assertEquals(manifest.unique(), m.unique());
        SequenceSource materialized = SequenceSource.open(cfg.output(), new Configuration());
        assertTrue(materialized instanceof MaterializedReader);
        assertEquals(reader.sequences(), materialized.sequences());
        int[] a = new int[reader.window()], b = new int[reader.window()];
        for (long j = 0; j < reader.sequences(); j++) {
            reader.read(j, a);
            materialized.read(j, b);
            assertArrayEquals(a, b, "sequence " + j);
            assertEquals(reader.epochOf(j), materialized.epochOf(j));
        }
        assertTrue(SequenceSource.open(study, new Configuration()) instanceof StudyReader);
    }

    @Test
    void validationDocumentsEndWithEndOfDocument() throws Exception {
        List<int[]> val = StudyReader.validation(study, new Configuration());
        assertEquals(manifest.validation().documents(), val.size());
        int eod = manifest.tokenizer().endOfDocument();
        long tokens = 0;
        for (int[] d : val) {
            assertEquals(eod, d[d.length - 1]);
            tokens += d.length;
        }
        assertEquals(manifest.validation().tokens(), tokens);
        assertTrue(tokens > 0);
    }

    private static int[] uniqueTokens() {
        List<Integer> all = new ArrayList<>();
        for (Row r : SparkTest.spark().read().parquet(study + "/unique").orderBy("rank").collectAsList()) all.addAll(r.getList(r.fieldIndex("tokens")));
        return all.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int[] documentTokens(int rank) {
        Row r = SparkTest.spark().read().parquet(study + "/unique").filter("rank = " + rank).first();
        return r.getList(r.fieldIndex("tokens")).stream().mapToInt(x -> (Integer) x).toArray();
    }

    private static int[] sorted(int[] a) {
        int[] c = a.clone();
        Arrays.sort(c);
        return c;
    }

    private static String render(List<int[]> seqs) {
        StringBuilder sb = new StringBuilder();
        seqs.forEach(s -> sb.append(Arrays.toString(s)).append('\n'));
        return sb.toString();
    }
}
