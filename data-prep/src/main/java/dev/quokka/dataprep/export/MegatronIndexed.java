package dev.quokka.dataprep.export;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Megatron-LM's indexed dataset (megatron/core/datasets/indexed_dataset.py, {@code _IndexWriter} and
 * {@code _IndexReader}): a data file, PREFIX.bin, of every sequence's tokens back to back, little-endian, in one dtype;
 * and an index, PREFIX.idx:
 *
 * <pre>
 *   "MMIDIDX\0\0"          9 bytes
 *   version                uint64 = 1
 *   dtype code             uint8: 8 for uint16, 4 for int32
 *   sequence count         uint64
 *   document count         uint64: the length of the document indices below (documents + 1)
 *   sequence lengths       int32[sequence count], in tokens
 *   sequence pointers      int64[sequence count], byte offsets into PREFIX.bin
 *   document indices       int64[document count]: 0, then the sequence index that ends each document
 * </pre>
 *
 * Here every document is one sequence, so the document indices are 0, 1, ..., documents. Megatron picks uint16 when
 * the vocabulary has fewer than 65,500 ids ({@code DType.optimal_dtype}) and int32 otherwise.
 */
public final class MegatronIndexed {
    static final byte[] HEADER = {'M', 'M', 'I', 'D', 'I', 'D', 'X', 0, 0};
    static final long VERSION = 1;
    /** {@code DType.optimal_dtype}'s threshold. */
    static final int UINT16_BELOW = 65_500;

    /** The token dtypes, with Megatron's codes. */
    public enum DType {
        UINT16(8, 2), INT32(4, 4);

        public final int code, bytes;

        DType(int code, int bytes) {
            this.code = code;
            this.bytes = bytes;
        }

        /** Megatron's choice for a vocabulary of {@code vocabSize} ids. */
        public static DType forVocabulary(int vocabSize) {
            return vocabSize < UINT16_BELOW ? UINT16 : INT32;
        }

        /** Writes {@code tokens} to {@code out}, little-endian; refuses a token this dtype cannot hold. */
        void put(int[] tokens, ByteBuffer out, String where) {
            out.order(ByteOrder.LITTLE_ENDIAN);
            for (int t : tokens) {
                if (this == UINT16) {
                    if (t < 0 || t > 0xFFFF) throw new IllegalArgumentException(where + ": token " + t + " does not fit uint16");
                    out.putShort((short) t);
                } else {
                    out.putInt(t);
                }
            }
        }
    }

    /** The index's fixed part: header, version, dtype code, sequence count and document count (= sequences + 1). */
    static byte[] indexHeader(DType dtype, long sequences) {
        ByteBuffer b = ByteBuffer.allocate(HEADER.length + 8 + 1 + 8 + 8).order(ByteOrder.LITTLE_ENDIAN);
        b.put(HEADER).putLong(VERSION).put((byte) dtype.code).putLong(sequences).putLong(sequences + 1);
        return b.array();
    }

    private MegatronIndexed() {}
}
