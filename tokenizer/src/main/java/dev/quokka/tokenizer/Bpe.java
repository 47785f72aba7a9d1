package dev.quokka.tokenizer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * A byte-level BPE model: the byte string of every token, and merge rules applied lowest rank first, leftmost
 * first among equals (the rule both Hugging Face tokenizers and tiktoken follow).
 */
final class Bpe {
    /** Above this many bytes a word is merged with a heap instead of rescanning, to stay O(n log n). */
    private static final int LONG_WORD = 128;

    private final byte[][] tokenBytes;
    private final int[] byteToken = new int[256];
    private final MergeTable merges;
    private final int[] mergeLeft;
    private final int[] mergeRight;
    /** Whole-word lookup before merging (HF's ignore_merges; tiktoken always does this). Null when off. */
    private final Map<ByteKey, Integer> wholeWords;

    /**
     * @param tokenBytes the bytes of each id (null for ids the model does not define)
     * @param mergeLeft  left ids of the merges in rank order
     * @param mergeRight right ids of the merges in rank order
     * @param mergeRanks the rank of each merge (its index for HF merges; the merged token's rank for tiktoken)
     */
    Bpe(byte[][] tokenBytes, int[] mergeLeft, int[] mergeRight, int[] mergeRanks, boolean ignoreMerges) {
        this.tokenBytes = tokenBytes;
        this.mergeLeft = mergeLeft;
        this.mergeRight = mergeRight;
        Arrays.fill(byteToken, -1);
        Map<ByteKey, Integer> byBytes = new HashMap<>(tokenBytes.length * 2);
        for (int id = 0; id < tokenBytes.length; id++) {
            byte[] b = tokenBytes[id];
            if (b == null) continue;
            if (b.length == 1 && byteToken[b[0] & 0xFF] < 0) byteToken[b[0] & 0xFF] = id;
            byBytes.putIfAbsent(new ByteKey(b), id);
        }
        for (int b = 0; b < 256; b++) {
            if (byteToken[b] < 0) {
                throw new IllegalArgumentException(String.format("no token for byte 0x%02X: a byte-level vocabulary needs all 256", b));
            }
        }
        merges = new MergeTable(mergeLeft.length);
        for (int r = 0; r < mergeLeft.length; r++) {
            byte[] joined = concat(tokenBytes[mergeLeft[r]], tokenBytes[mergeRight[r]]);
            Integer id = byBytes.get(new ByteKey(joined));
            if (id == null) throw new IllegalArgumentException("merge " + r + " makes a token that is not in the vocabulary");
            merges.put(mergeLeft[r], mergeRight[r], mergeRanks[r], id);
        }
        wholeWords = ignoreMerges ? byBytes : null;
    }

    int size() {
        return tokenBytes.length;
    }

    byte[] bytes(int id) {
        return id >= 0 && id < tokenBytes.length ? tokenBytes[id] : null;
    }

    int mergeCount() {
        return mergeLeft.length;
    }

    int mergeLeft(int rank) {
        return mergeLeft[rank];
    }

    int mergeRight(int rank) {
        return mergeRight[rank];
    }

    boolean ignoresMerges() {
        return wholeWords != null;
    }

    /** Appends the tokens of {@code word[0, len)} to {@code out}. {@code scratch} is reused across calls. */
    void encodeWord(byte[] word, int len, IntList out, Scratch scratch) {
        if (len == 1) {
            out.add(byteToken[word[0] & 0xFF]);
            return;
        }
        if (wholeWords != null) {
            Integer id = wholeWords.get(new ByteKey(Arrays.copyOf(word, len)));
            if (id != null) {
                out.add(id);
                return;
            }
        }
        if (len > LONG_WORD) {
            encodeLongWord(word, len, out);
            return;
        }
        int[] sym = scratch.symbols(len);
        int[] rank = scratch.ranks(len);
        int n = len;
        for (int i = 0; i < n; i++) sym[i] = byteToken[word[i] & 0xFF];
        for (int i = 0; i < n - 1; i++) rank[i] = merges.rank(sym[i], sym[i + 1]);
        while (n > 1) {
            int best = MergeTable.NO_RANK;
            int at = -1;
            for (int i = 0; i < n - 1; i++) {
                if (rank[i] < best) {
                    best = rank[i];
                    at = i;
                }
            }
            if (at < 0) break;
            sym[at] = merges.mergedAt(merges.find(sym[at], sym[at + 1]));
            System.arraycopy(sym, at + 2, sym, at + 1, n - at - 2);
            System.arraycopy(rank, at + 2, rank, at + 1, Math.max(0, n - at - 3));
            n--;
            if (at > 0) rank[at - 1] = merges.rank(sym[at - 1], sym[at]);
            if (at < n - 1) rank[at] = merges.rank(sym[at], sym[at + 1]);
        }
        for (int i = 0; i < n; i++) out.add(sym[i]);
    }

    /** The same merges with a heap of (rank, position) over a linked list of symbols. */
    private void encodeLongWord(byte[] word, int len, IntList out) {
        int[] sym = new int[len];
        int[] next = new int[len];
        int[] prev = new int[len];
        for (int i = 0; i < len; i++) {
            sym[i] = byteToken[word[i] & 0xFF];
            next[i] = i + 1 < len ? i + 1 : -1;
            prev[i] = i - 1;
        }
        PriorityQueue<Long> heap = new PriorityQueue<>();
        for (int i = 0; i + 1 < len; i++) offer(heap, sym, i, i + 1);
        while (!heap.isEmpty()) {
            long top = heap.poll();
            int rank = (int) (top >>> 32);
            int at = (int) top;
            int right = next[at];
            if (sym[at] < 0 || right < 0) continue;
            int slot = merges.find(sym[at], sym[right]);
            if (slot < 0 || merges.rankAt(slot) != rank) continue; // stale entry
            sym[at] = merges.mergedAt(slot);
            sym[right] = -1;
            next[at] = next[right];
            if (next[at] >= 0) prev[next[at]] = at;
            if (prev[at] >= 0) offer(heap, sym, prev[at], at);
            if (next[at] >= 0) offer(heap, sym, at, next[at]);
        }
        for (int i = 0; i >= 0; i = next[i]) out.add(sym[i]);
    }

    private void offer(PriorityQueue<Long> heap, int[] sym, int left, int right) {
        int rank = merges.rank(sym[left], sym[right]);
        if (rank != MergeTable.NO_RANK) heap.add(((long) rank << 32) | left);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** Per-thread working arrays. */
    static final class Scratch {
        private int[] symbols = new int[64];
        private int[] ranks = new int[64];

        int[] symbols(int n) {
            if (symbols.length < n) symbols = new int[Math.max(n, symbols.length * 2)];
            return symbols;
        }

        int[] ranks(int n) {
            if (ranks.length < n) ranks = new int[Math.max(n, ranks.length * 2)];
            return ranks;
        }
    }
}
