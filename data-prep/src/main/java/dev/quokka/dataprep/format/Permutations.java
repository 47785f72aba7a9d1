package dev.quokka.dataprep.format;

import java.util.SplittableRandom;

/**
 * The seeded permutations of a study: the order of documents in each epoch and the order of sequences within it.
 * They are a documented algorithm (Fisher-Yates driven by {@link SplittableRandom} seeded with
 * {@code DocIds.mix(seed ^ salt, epoch)}), so any reader can rebuild them.
 */
public final class Permutations {
    public static final String ALGORITHM = "fisher-yates/splittable-random/v1";
    static final long DOCUMENT_SALT = 0x446F_6373L;
    static final long SEQUENCE_SALT = 0x5365_7173L;

    private Permutations() {}

    /** The order of document ranks 0..n-1 in an epoch. */
    public static int[] documents(long seed, int epoch, int n) {
        return shuffle(n, DocIds.mix(seed ^ DOCUMENT_SALT, epoch));
    }

    /** The training order of an epoch's m sequences. */
    public static int[] sequences(long seed, int epoch, int m) {
        return shuffle(m, DocIds.mix(seed ^ SEQUENCE_SALT, epoch));
    }

    static int[] shuffle(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** Whether p holds each of 0..p.length-1 exactly once. */
    public static boolean isPermutation(int[] p) {
        boolean[] seen = new boolean[p.length];
        for (int x : p) {
            if (x < 0 || x >= p.length || seen[x]) return false;
            seen[x] = true;
        }
        return true;
    }
}
