package dev.quokka.analysis;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.function.Predicate;
import java.util.zip.CRC32C;

/**
 * Scalars from TensorBoard event files, read without TensorFlow. A file is a sequence of TFRecords (a little-endian
 * uint64 length, its masked CRC-32C, the data, the data's masked CRC-32C); each record is an {@code Event} proto
 * (event.proto: wall_time 1, step 2, summary 5), whose {@code Summary} holds values (summary.proto: tag 1,
 * simple_value 2, tensor 8). Both ways of writing a scalar are read: {@code simple_value} (PyTorch, TensorFlow 1,
 * quokka's trainer) and a rank-0 {@code tensor} (TensorFlow 2: tensor.proto dtype 1, tensor_content 4, float_val 5,
 * double_val 6, int_val 7, int64_val 10).
 */
public final class TensorBoardScalars {
    /** One logged scalar. */
    public record Scalar(long step, double wallTime, String tag, double value) {}

    /** Receives the scalars of the wanted tags, in file order. */
    @FunctionalInterface
    public interface Sink {
        void accept(Scalar scalar) throws IOException;
    }

    /** How a file ended: cleanly, or inside a record, as the file of a run that was killed while writing does. */
    public record Summary(long records, long scalars, boolean truncatedTail) {}

    private TensorBoardScalars() {}

    /**
     * Reads one event file. A record whose checksum fails is an error naming the file and the record's offset; a
     * record cut off by the end of the file ends the reading and is reported in the summary.
     */
    public static Summary read(InputStream stream, String file, Predicate<String> wanted, Sink sink) throws IOException {
        DataInputStream in = new DataInputStream(stream);
        byte[] header = new byte[12];
        long offset = 0, records = 0, scalars = 0;
        while (true) {
            int got = in.readNBytes(header, 0, 12);
            if (got == 0) return new Summary(records, scalars, false);
            if (got < 12) return new Summary(records, scalars, true);
            ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
            long length = h.getLong(0);
            if (maskedCrc(header, 0, 8) != h.getInt(8)) throw new IOException(file + ": record at byte " + offset + ": bad length checksum");
            if (length < 0 || length > Integer.MAX_VALUE - 8) throw new IOException(file + ": record at byte " + offset + ": length " + length);
            byte[] data = new byte[(int) length];
            byte[] crc = new byte[4];
            if (in.readNBytes(data, 0, data.length) < data.length || in.readNBytes(crc, 0, 4) < 4) {
                return new Summary(records, scalars, true);
            }
            if (maskedCrc(data, 0, data.length) != ByteBuffer.wrap(crc).order(ByteOrder.LITTLE_ENDIAN).getInt()) {
                throw new IOException(file + ": record at byte " + offset + ": bad data checksum");
            }
            try {
                scalars += event(new Proto(data), wanted, sink);
            } catch (IndexOutOfBoundsException | IllegalStateException e) {
                throw new IOException(file + ": record at byte " + offset + ": not an Event proto (" + e.getMessage() + ")", e);
            }
            records++;
            offset += 12 + length + 4;
        }
    }

    private static int event(Proto event, Predicate<String> wanted, Sink sink) throws IOException {
        double wallTime = 0;
        long step = 0;
        Proto summary = null;
        while (event.more()) {
            int key = event.key();
            switch (key) {
                case (1 << 3) | 1 -> wallTime = Double.longBitsToDouble(event.fixed64());
                case (2 << 3) -> step = event.varint();
                case (5 << 3) | 2 -> summary = event.message();
                default -> event.skip(key);
            }
        }
        if (summary == null) return 0;
        int n = 0;
        while (summary.more()) {
            int key = summary.key();
            if (key != ((1 << 3) | 2)) {
                summary.skip(key);
                continue;
            }
            Proto value = summary.message();
            String tag = null;
            Double v = null;
            while (value.more()) {
                int k = value.key();
                switch (k) {
                    case (1 << 3) | 2 -> tag = new String(value.bytes(), StandardCharsets.UTF_8);
                    case (2 << 3) | 5 -> v = (double) Float.intBitsToFloat(value.fixed32());
                    case (8 << 3) | 2 -> v = tensorScalar(value.message());
                    default -> value.skip(k);
                }
            }
            if (tag != null && v != null && wanted.test(tag)) {
                sink.accept(new Scalar(step, wallTime, tag, v));
                n++;
            }
        }
        return n;
    }

    /** The value of a rank-0 numeric TensorProto, or null for other tensors (histograms, text, images). */
    private static Double tensorScalar(Proto t) {
        int dtype = 0;
        byte[] content = null;
        Double first = null;
        while (t.more()) {
            int k = t.key();
            switch (k) {
                case (1 << 3) -> dtype = (int) t.varint();
                case (4 << 3) | 2 -> content = t.bytes();
                case (5 << 3) | 5 -> first = first != null ? first : (double) Float.intBitsToFloat(t.fixed32());
                case (5 << 3) | 2 -> {
                    Proto packed = t.message();
                    if (first == null && packed.more()) first = (double) Float.intBitsToFloat(packed.fixed32());
                }
                case (6 << 3) | 1 -> first = first != null ? first : Double.longBitsToDouble(t.fixed64());
                case (6 << 3) | 2 -> {
                    Proto packed = t.message();
                    if (first == null && packed.more()) first = Double.longBitsToDouble(packed.fixed64());
                }
                case (7 << 3), (10 << 3) -> first = first != null ? first : (double) t.varint();
                case (7 << 3) | 2, (10 << 3) | 2 -> {
                    Proto packed = t.message();
                    if (first == null && packed.more()) first = (double) packed.varint();
                }
                default -> t.skip(k);
            }
        }
        if (first != null) return first;
        if (content == null) return null;
        ByteBuffer b = ByteBuffer.wrap(content).order(ByteOrder.LITTLE_ENDIAN);
        return switch (dtype) { // tensorflow/core/framework/types.proto
            case 1 -> content.length == 4 ? (double) b.getFloat() : null;   // DT_FLOAT
            case 2 -> content.length == 8 ? b.getDouble() : null;          // DT_DOUBLE
            case 3 -> content.length == 4 ? (double) b.getInt() : null;     // DT_INT32
            case 9 -> content.length == 8 ? (double) b.getLong() : null;    // DT_INT64
            default -> null;
        };
    }

    static int maskedCrc(byte[] data, int from, int length) {
        CRC32C crc = new CRC32C();
        crc.update(data, from, length);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + 0xa282ead8;
    }

    /** Just enough of the protobuf wire format: varints, fixed 32 and 64 bits, and length-delimited fields. */
    private static final class Proto {
        private final byte[] b;
        private int pos;
        private final int end;

        Proto(byte[] b) {
            this(b, 0, b.length);
        }

        private Proto(byte[] b, int from, int end) {
            this.b = b;
            this.pos = from;
            this.end = end;
        }

        boolean more() {
            return pos < end;
        }

        int key() {
            return (int) varint();
        }

        long varint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) throw new IllegalStateException("a varint runs past its message");
                byte x = b[pos++];
                v |= (long) (x & 0x7F) << shift;
                if (x >= 0) return v;
            }
            throw new IllegalStateException("a varint longer than 10 bytes");
        }

        int fixed32() {
            check(4);
            int v = ByteBuffer.wrap(b, pos, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            pos += 4;
            return v;
        }

        long fixed64() {
            check(8);
            long v = ByteBuffer.wrap(b, pos, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            pos += 8;
            return v;
        }

        byte[] bytes() {
            int n = length();
            byte[] out = java.util.Arrays.copyOfRange(b, pos, pos + n);
            pos += n;
            return out;
        }

        Proto message() {
            int n = length();
            Proto m = new Proto(b, pos, pos + n);
            pos += n;
            return m;
        }

        void skip(int key) {
            switch (key & 7) {
                case 0 -> varint();
                case 1 -> { check(8); pos += 8; }
                case 2 -> {
                    int n = length(); // before the +=, which would read pos first
                    pos += n;
                }
                case 5 -> { check(4); pos += 4; }
                default -> throw new IllegalStateException("wire type " + (key & 7));
            }
        }

        private int length() {
            long n = varint();
            if (n < 0 || n > end - pos) throw new IllegalStateException("a field of " + n + " bytes runs past its message");
            return (int) n;
        }

        private void check(int n) {
            if (end - pos < n) throw new IllegalStateException("a field runs past its message");
        }
    }
}
