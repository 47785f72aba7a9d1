package dev.quokka.tokenizer;

import java.util.Arrays;

/**
 * Words seen before and their tokens, looked up by a span of the text without copying it. Natural text repeats
 * its words, so most words skip BPE entirely. Not thread-safe: one per thread.
 */
final class WordCache {
    static final int MAX_WORD = 48;
    private static final int SLOTS = 1 << 17;
    private static final int MAX_ENTRIES = SLOTS / 2;

    private final String[] keys = new String[SLOTS];
    private final int[] hashes = new int[SLOTS];
    private final int[][] values = new int[SLOTS][];
    private int size;

    static int hash(String s, int start, int end) {
        int h = 0;
        for (int i = start; i < end; i++) h = 31 * h + s.charAt(i);
        return h ^ (h >>> 16);
    }

    int[] get(String s, int start, int end, int hash) {
        int len = end - start;
        for (int i = hash & (SLOTS - 1); ; i = (i + 1) & (SLOTS - 1)) {
            String k = keys[i];
            if (k == null) return null;
            if (hashes[i] == hash && k.length() == len && k.regionMatches(0, s, start, len)) return values[i];
        }
    }

    void put(String s, int start, int end, int hash, int[] tokens) {
        if (size >= MAX_ENTRIES) clear();
        int i = hash & (SLOTS - 1);
        while (keys[i] != null) i = (i + 1) & (SLOTS - 1);
        keys[i] = s.substring(start, end);
        hashes[i] = hash;
        values[i] = tokens;
        size++;
    }

    void clear() {
        Arrays.fill(keys, null);
        Arrays.fill(values, null);
        size = 0;
    }
}
