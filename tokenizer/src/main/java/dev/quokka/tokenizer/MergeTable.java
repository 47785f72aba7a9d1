package dev.quokka.tokenizer;

/**
 * The BPE merge rules, (left id, right id) -> (rank, merged id), as an open-addressing table of primitives: this
 * lookup is the inner loop of encoding, so it must not box or allocate.
 */
final class MergeTable {
    static final int NO_RANK = Integer.MAX_VALUE;
    private static final long EMPTY = -1L;

    private final long[] keys;
    private final int[] ranks;
    private final int[] merged;
    private final int mask;
    private int size;

    MergeTable(int expected) {
        int capacity = Integer.highestOneBit(Math.max(4, expected) * 2 - 1) << 1;
        keys = new long[capacity];
        java.util.Arrays.fill(keys, EMPTY);
        ranks = new int[capacity];
        merged = new int[capacity];
        mask = capacity - 1;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private static int slot(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29)) & mask;
    }

    /** Adds a rule; an existing rule for the same pair keeps the lower rank, as BPE would. */
    void put(int left, int right, int rank, int mergedId) {
        if (size * 2 >= keys.length) throw new IllegalStateException("merge table full");
        long k = key(left, right);
        int i = slot(k, mask);
        while (keys[i] != EMPTY) {
            if (keys[i] == k) {
                if (rank < ranks[i]) {
                    ranks[i] = rank;
                    merged[i] = mergedId;
                }
                return;
            }
            i = (i + 1) & mask;
        }
        keys[i] = k;
        ranks[i] = rank;
        merged[i] = mergedId;
        size++;
    }

    /** The slot of the pair's rule, or -1. */
    int find(int left, int right) {
        long k = key(left, right);
        int i = slot(k, mask);
        long found;
        while ((found = keys[i]) != EMPTY) {
            if (found == k) return i;
            i = (i + 1) & mask;
        }
        return -1;
    }

    int rank(int left, int right) {
        int s = find(left, right);
        return s < 0 ? NO_RANK : ranks[s];
    }

    int rankAt(int slot) {
        return ranks[slot];
    }

    int mergedAt(int slot) {
        return merged[slot];
    }

    int size() {
        return size;
    }
}
