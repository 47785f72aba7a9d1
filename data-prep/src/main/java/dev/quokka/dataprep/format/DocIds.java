package dev.quokka.dataprep.format;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Stable document ids: the first 64 bits of SHA-256(source, position). The source is a path relative to the input
 * root, so the same corpus gets the same ids on any machine, whatever the run order or parallelism.
 */
public final class DocIds {
    private DocIds() {}

    private static final ThreadLocal<MessageDigest> SHA = ThreadLocal.withInitial(DocIds::sha256);

    public static long of(String source, long position) {
        MessageDigest sha = SHA.get();
        sha.reset();
        sha.update(source.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update(ByteBuffer.allocate(8).putLong(position).array());
        return ByteBuffer.wrap(sha.digest()).getLong();
    }

    /** A 64-bit hash of a document id under a salt, for seeded orders and the validation split. */
    public static long mix(long docId, long salt) {
        long z = docId ^ (salt * 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
