package dev.quokka.dataprep.format;

/**
 * An order-independent checksum of a multiset of token ids: the sum, mod 2^64, of a 64-bit mix of each token. Sums
 * add up, so the checksum of an epoch is the sum of its documents' checksums, whatever their order; a changed,
 * missing or extra token changes it (except with probability about 2^-64).
 */
public final class Multiset {
    private Multiset() {}

    public static long of(int token) {
        return DocIds.mix(token, 0x5157_4F4B_4B41L);
    }

    public static long of(int[] tokens, int from, int to) {
        long h = 0;
        for (int i = from; i < to; i++) h += of(tokens[i]);
        return h;
    }

    public static long of(int[] tokens) {
        return of(tokens, 0, tokens.length);
    }

    /** The checksum of the first {@code count} tokens of a list, as Spark hands array columns over. */
    public static long of(java.util.List<?> tokens, long count) {
        long h = 0;
        for (int i = 0; i < count; i++) h += of((Integer) tokens.get(i));
        return h;
    }

    public static String hex(long checksum) {
        return String.format("%016x", checksum);
    }
}
