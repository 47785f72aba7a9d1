package dev.quokka.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTrainerTest {

    @Test
    void trainedVocabularyRoundTripsThroughHuggingFace(@TempDir Path dir) throws Exception {
        BpeTrainer trainer = new BpeTrainer(2000);
        Tokenizer trained = trainer.train(trainer.countWords(Fixtures.english()));
        assertEquals(2000, trained.vocabSize());
        assertEquals(new SpecialTokens(1997, 1998, 1999), trained.specialTokens());
        Path file = dir.resolve("tokenizer.json");
        Files.write(file, TokenizerJson.toBytes(trained));
        List<String> docs = new ArrayList<>(Fixtures.english());
        docs.addAll(Fixtures.multilingual());
        try (InputStream in = Files.newInputStream(file); HuggingFaceTokenizer hf = Fixtures.huggingFace(in)) {
            for (String doc : docs) {
                assertArrayEquals(Fixtures.ids(hf, doc), trained.encode(doc, true));
                assertEquals(doc, trained.decode(trained.encode(doc)));
            }
        }
    }

    @Test
    void trainingIsDeterministicWhateverTheMapOrder() {
        BpeTrainer trainer = new BpeTrainer(700);
        Map<String, Long> counts = trainer.countWords(Fixtures.multilingual());
        List<Map.Entry<String, Long>> shuffled = new ArrayList<>(counts.entrySet());
        Collections.shuffle(shuffled, new Random(5));
        Map<String, Long> reordered = new LinkedHashMap<>();
        shuffled.forEach(e -> reordered.put(e.getKey(), e.getValue()));
        assertArrayEquals(TokenizerJson.toBytes(trainer.train(counts)), TokenizerJson.toBytes(trainer.train(reordered)));
    }

    @Test
    void incrementalCountsGiveTheMergesOfAFullRecount() {
        BpeTrainer trainer = new BpeTrainer(256 + 300 + 3);
        Map<String, Long> counts = trainer.countWords(Fixtures.english().subList(0, 150));
        Bpe bpe = trainer.train(counts).bpe();
        List<long[]> reference = naiveMerges(counts, 300, 2);
        assertEquals(reference.size(), bpe.mergeCount());
        for (int r = 0; r < reference.size(); r++) {
            assertEquals(reference.get(r)[0], bpe.mergeLeft(r), "merge " + r);
            assertEquals(reference.get(r)[1], bpe.mergeRight(r), "merge " + r);
        }
    }

    @Test
    void stopsWhenNoPairIsFrequentEnough() {
        BpeTrainer trainer = new BpeTrainer(10_000);
        Tokenizer t = trainer.train(Map.of("ab", 3L, "cd", 1L));
        assertEquals(256 + 1 + 3, t.vocabSize()); // only "ab" occurs twice or more
        assertArrayEquals(new int[] {256}, t.encode("ab"));
    }

    @Test
    void rejectsAVocabularyTooSmallForTheBytesAndSpecials() {
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(258));
    }

    /** The textbook algorithm: recount every pair before every merge. */
    private static List<long[]> naiveMerges(Map<String, Long> counts, int maxMerges, long minFrequency) {
        List<int[]> words = new ArrayList<>();
        List<Long> freq = new ArrayList<>();
        counts.forEach((w, c) -> {
            byte[] b = w.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            int[] s = new int[b.length];
            for (int i = 0; i < b.length; i++) s[i] = b[i] & 0xFF;
            words.add(s);
            freq.add(c);
        });
        List<long[]> merges = new ArrayList<>();
        for (int m = 0; m < maxMerges; m++) {
            Map<Long, Long> pairs = new HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                int[] s = words.get(w);
                for (int i = 0; i + 1 < s.length; i++) pairs.merge(((long) s[i] << 32) | s[i + 1], freq.get(w), Long::sum);
            }
            long best = -1, bestCount = 0;
            for (Map.Entry<Long, Long> e : pairs.entrySet()) {
                if (e.getValue() > bestCount || (e.getValue() == bestCount && e.getKey() < best)) {
                    best = e.getKey();
                    bestCount = e.getValue();
                }
            }
            if (bestCount < minFrequency) break;
            int a = (int) (best >>> 32), b = (int) best, z = 256 + m;
            merges.add(new long[] {a, b});
            for (int w = 0; w < words.size(); w++) {
                int[] s = words.get(w);
                int[] out = new int[s.length];
                int n = 0;
                for (int i = 0; i < s.length; ) {
                    if (i + 1 < s.length && s[i] == a && s[i + 1] == b) {
                        out[n++] = z;
                        i += 2;
                    } else {
                        out[n++] = s[i++];
                    }
                }
                words.set(w, java.util.Arrays.copyOf(out, n));
            }
        }
        return merges;
    }
}
