package dev.quokka.tokenizer;

import java.util.Arrays;

/** Counts of symbol pairs, (left, right) -> long, in a growing open-addressing table of primitives. */
final class PairCounts {
    private static final long EMPTY = -1L;
    private long[] keys;
    private long[] counts;
    private int size;

    PairCounts(int capacity) {
        int cap = Integer.highestOneBit(Math.max(16, capacity) * 2 - 1) << 1;
        keys = new long[cap];
        counts = new long[cap];
        Arrays.fill(keys, EMPTY);
    }

    static long pair(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    long add(long key, long delta) {
        int i = find(key);
        if (keys[i] == EMPTY) {
            keys[i] = key;
            if (++size * 2 > keys.length) {
                grow();
                i = find(key);
            }
        }
        return counts[i] += delta;
    }

    long get(long key) {
        int i = find(key);
        return keys[i] == EMPTY ? 0 : counts[i];
    }

    /** Calls {@code visitor} for every pair with a positive count. */
    void forEachPositive(java.util.function.LongBinaryOperator visitor) {
        for (int i = 0; i < keys.length; i++) if (keys[i] != EMPTY && counts[i] > 0) visitor.applyAsLong(keys[i], counts[i]);
    }

    private int find(long key) {
        int mask = keys.length - 1;
        long h = key * 0x9E3779B97F4A7C15L;
        int i = (int) (h ^ (h >>> 31)) & mask;
        while (keys[i] != EMPTY && keys[i] != key) i = (i + 1) & mask;
        return i;
    }

    private void grow() {
        long[] oldKeys = keys, oldCounts = counts;
        keys = new long[oldKeys.length * 2];
        counts = new long[oldKeys.length * 2];
        Arrays.fill(keys, EMPTY);
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) {
                int j = find(oldKeys[i]);
                keys[j] = oldKeys[i];
                counts[j] = oldCounts[i];
            }
        }
    }
}
