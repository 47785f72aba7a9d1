package dev.quokka.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Trains a byte-level BPE vocabulary from word counts (the pre-tokens of a corpus and how often each occurs).
 *
 * <p>Ids 0..255 are the bytes, then one id per merge, then the special tokens. Each step merges the most frequent
 * adjacent pair; ties go to the smaller (left, right) ids, so training is deterministic. Pair counts are updated
 * incrementally: a merge touches only the words that contain its pair (found through a pair -> words index), and a
 * lazy max-heap yields the next pair without a recount.
 */
public final class BpeTrainer {
    public static final List<String> DEFAULT_SPECIALS =
            List.of(SpecialTokens.END_OF_TEXT, SpecialTokens.MASK, SpecialTokens.PAD);

    private final int vocabSize;
    private final List<String> specials;
    private final PreTokenizer preTokenizer;
    private final long minFrequency;

    /**
     * @param vocabSize    the target size: 256 bytes + merges + special tokens
     * @param specials     special tokens to reserve at the top of the vocabulary
     * @param preTokenizer the pre-tokenizer the counts were made with, saved with the vocabulary
     * @param minFrequency pairs seen fewer times than this are never merged
     */
    public BpeTrainer(int vocabSize, List<String> specials, PreTokenizer preTokenizer, long minFrequency) {
        if (vocabSize < 256 + specials.size()) {
            throw new IllegalArgumentException("vocab size " + vocabSize + " is below 256 bytes + " + specials.size() + " special tokens");
        }
        this.vocabSize = vocabSize;
        this.specials = List.copyOf(specials);
        this.preTokenizer = preTokenizer;
        this.minFrequency = Math.max(1, minFrequency);
    }

    public BpeTrainer(int vocabSize) {
        this(vocabSize, DEFAULT_SPECIALS, PreTokenizer.gpt2(), 2);
    }

    public int specialCount() {
        return specials.size();
    }

    public PreTokenizer preTokenizer() {
        return preTokenizer;
    }

    /** Counts the words of texts with this trainer's pre-tokenizer. */
    public Map<String, Long> countWords(Iterable<String> texts) {
        Map<String, Long> counts = new HashMap<>();
        for (String text : texts) countWords(text, counts);
        return counts;
    }

    /** Adds the words of one text to {@code counts}. */
    public void countWords(String text, Map<String, Long> counts) {
        preTokenizer.split(text, 0, text.length(), (s, e) -> counts.merge(text.substring(s, e), 1L, Long::sum));
    }

    public Tokenizer train(Map<String, Long> wordCounts) {
        int maxMerges = vocabSize - 256 - specials.size();
        // Words as symbol arrays; sorted so that nothing depends on the map's iteration order.
        List<Map.Entry<String, Long>> entries = new ArrayList<>(wordCounts.entrySet());
        entries.sort(Map.Entry.comparingByKey());
        int nWords = entries.size();
        int[][] words = new int[nWords][];
        int[] lengths = new int[nWords];
        long[] freq = new long[nWords];
        Utf8Buffer utf8 = new Utf8Buffer();
        PairCounts pairs = new PairCounts(nWords * 4);
        Map<Long, IntList> where = new HashMap<>();
        for (int w = 0; w < nWords; w++) {
            String word = entries.get(w).getKey();
            long count = entries.get(w).getValue();
            if (count <= 0) throw new IllegalArgumentException("word '" + word + "' has count " + count);
            int len = utf8.encode(word, 0, word.length());
            int[] sym = new int[len];
            for (int i = 0; i < len; i++) sym[i] = utf8.bytes[i] & 0xFF;
            words[w] = sym;
            lengths[w] = len;
            freq[w] = count;
            for (int i = 0; i + 1 < len; i++) {
                long p = PairCounts.pair(sym[i], sym[i + 1]);
                pairs.add(p, count);
                IntList list = where.computeIfAbsent(p, k -> new IntList(2));
                if (list.size() == 0 || list.get(list.size() - 1) != w) list.add(w);
            }
        }
        PriorityQueue<long[]> heap = new PriorityQueue<>(BpeTrainer::byCountThenIds);
        pairs.forEachPositive((p, c) -> {
            heap.add(new long[] {c, p});
            return 0;
        });

        List<byte[]> tokenBytes = new ArrayList<>(vocabSize);
        for (int b = 0; b < 256; b++) tokenBytes.add(new byte[] {(byte) b});
        int[] mergeLeft = new int[maxMerges], mergeRight = new int[maxMerges];
        int[] visited = new int[nWords];
        Arrays.fill(visited, -1);
        int merges = 0;
        while (merges < maxMerges && !heap.isEmpty()) {
            long[] top = heap.poll();
            long pair = top[1];
            long current = pairs.get(pair);
            if (current != top[0]) { // stale: its count changed since it was queued
                if (current > 0) heap.add(new long[] {current, pair});
                continue;
            }
            if (current < minFrequency) break;
            int a = (int) (pair >>> 32), b = (int) pair;
            int z = 256 + merges;
            mergeLeft[merges] = a;
            mergeRight[merges] = b;
            tokenBytes.add(concat(tokenBytes.get(a), tokenBytes.get(b)));
            List<Long> grown = new ArrayList<>();
            IntList containing = where.remove(pair);
            for (int k = 0; containing != null && k < containing.size(); k++) {
                int w = containing.get(k);
                if (visited[w] == merges) continue;
                visited[w] = merges;
                mergeInWord(words[w], lengths, w, freq[w], a, b, z, pairs, where, grown);
            }
            for (long p : grown) {
                long c = pairs.get(p);
                if (c > 0) heap.add(new long[] {c, p});
            }
            merges++;
        }

        int[] left = Arrays.copyOf(mergeLeft, merges), right = Arrays.copyOf(mergeRight, merges);
        int[] ranks = new int[merges];
        for (int r = 0; r < merges; r++) ranks[r] = r;
        Bpe bpe = new Bpe(tokenBytes.toArray(byte[][]::new), left, right, ranks, false);
        List<AddedToken> added = new ArrayList<>();
        for (int i = 0; i < specials.size(); i++) added.add(AddedToken.special(256 + merges + i, specials.get(i)));
        PreTokenizer.ByteLevelStep byteLevel = new PreTokenizer.ByteLevelStep(false, true, true);
        return new Tokenizer(bpe, added, null, preTokenizer, byteLevel, byteLevel, null);
    }

    /** Merges every (a, b) in one word, moving the word's pair counts from the old pairs to the new ones. */
    private static void mergeInWord(int[] sym, int[] lengths, int w, long count, int a, int b, int z,
                                    PairCounts pairs, Map<Long, IntList> where, List<Long> grown) {
        int n = lengths[w];
        boolean found = false;
        for (int i = 0; i + 1 < n && !found; i++) found = sym[i] == a && sym[i + 1] == b;
        if (!found) return; // a stale index entry
        for (int i = 0; i + 1 < n; i++) pairs.add(PairCounts.pair(sym[i], sym[i + 1]), -count);
        int m = 0;
        for (int i = 0; i < n; ) {
            if (i + 1 < n && sym[i] == a && sym[i + 1] == b) {
                sym[m++] = z;
                i += 2;
            } else {
                sym[m++] = sym[i++];
            }
        }
        lengths[w] = m;
        for (int i = 0; i + 1 < m; i++) {
            long p = PairCounts.pair(sym[i], sym[i + 1]);
            pairs.add(p, count);
            if (sym[i] == z || sym[i + 1] == z) {
                IntList list = where.computeIfAbsent(p, k -> new IntList(2));
                if (list.size() == 0 || list.get(list.size() - 1) != w) list.add(w);
                grown.add(p);
            }
        }
    }

    /** Highest count first, then the smaller left id, then the smaller right id. */
    private static int byCountThenIds(long[] x, long[] y) {
        int c = Long.compare(y[0], x[0]);
        return c != 0 ? c : Long.compare(x[1], y[1]);
    }

    private static byte[] concat(byte[] x, byte[] y) {
        byte[] c = Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, c, x.length, y.length);
        return c;
    }
}
