package dev.quokka.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Event files built here byte by byte from TensorFlow's protos, in each way a scalar is written: simple_value
 * (PyTorch, TF1), and rank-0 tensors with tensor_content, packed float_val and double_val (TF2).
 */
class TensorBoardScalarsTest {
    @Test
    void scalarsOfEveryKindAreReadAndOtherTagsSkipped() throws IOException {
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        record(file, event(1.5, 0, null, bytes(3, "brain.Event:2".getBytes(StandardCharsets.UTF_8))));
        record(file, event(2.0, 100, summary(simple("val/loss", 3.25f), simple("train/lr", 1e-3f)), null));
        record(file, event(3.0, 200, summary(tensor("val/loss", concat(varintField(1, 1), bytes(4, le32f(3.0f))))), null));
        record(file, event(4.0, 300, summary(tensor("val/loss", concat(varintField(1, 1), bytes(5, le32f(2.75f))))), null));
        record(file, event(5.0, 400, summary(tensor("val/loss", concat(varintField(1, 2), bytes(6, le64d(2.5))))), null));
        record(file, event(6.0, 500, summary(tensor("val/loss", concat(varintField(1, 7), bytes(8, "text".getBytes(StandardCharsets.UTF_8))))), null));
        List<TensorBoardScalars.Scalar> seen = new ArrayList<>();
        TensorBoardScalars.Summary s = TensorBoardScalars.read(new ByteArrayInputStream(file.toByteArray()), "f", "val/loss"::equals, seen::add);
        assertEquals(6, s.records());
        assertFalse(s.truncatedTail());
        assertEquals(List.of(new TensorBoardScalars.Scalar(100, 2.0, "val/loss", 3.25), new TensorBoardScalars.Scalar(200, 3.0, "val/loss", 3.0),
                new TensorBoardScalars.Scalar(300, 4.0, "val/loss", 2.75), new TensorBoardScalars.Scalar(400, 5.0, "val/loss", 2.5)), seen);

        // A file cut inside its last record (a killed run) gives its complete records and says so.
        byte[] cut = Arrays.copyOf(file.toByteArray(), file.size() - 7);
        seen.clear();
        s = TensorBoardScalars.read(new ByteArrayInputStream(cut), "f", "val/loss"::equals, seen::add);
        assertTrue(s.truncatedTail());
        assertEquals(4, seen.size());

        // A flipped byte is an error that names the file and the record.
        byte[] flipped = file.toByteArray();
        int second = recordLength(flipped, 0);
        flipped[second + 20] ^= 1;
        IOException e = assertThrows(IOException.class,
                () -> TensorBoardScalars.read(new ByteArrayInputStream(flipped), "run/events.out.tfevents.1", t -> true, x -> { }));
        assertEquals("run/events.out.tfevents.1: record at byte " + second + ": bad data checksum", e.getMessage());
    }

    private static int recordLength(byte[] f, int at) {
        return (int) ByteBuffer.wrap(f, at, 8).order(ByteOrder.LITTLE_ENDIAN).getLong() + 16;
    }

    static void record(ByteArrayOutputStream out, byte[] data) {
        byte[] length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(data.length).array();
        out.writeBytes(length);
        out.writeBytes(le32(TensorBoardScalars.maskedCrc(length, 0, 8)));
        out.writeBytes(data);
        out.writeBytes(le32(TensorBoardScalars.maskedCrc(data, 0, data.length)));
    }

    static byte[] event(double wallTime, long step, byte[] summary, byte[] extra) {
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        e.write((1 << 3) | 1);
        e.writeBytes(le64d(wallTime));
        e.writeBytes(varintField(2, step));
        if (summary != null) e.writeBytes(bytes(5, summary));
        if (extra != null) e.writeBytes(extra);
        return e.toByteArray();
    }

    static byte[] summary(byte[]... values) {
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        for (byte[] v : values) s.writeBytes(bytes(1, v));
        return s.toByteArray();
    }

    static byte[] simple(String tag, float value) {
        ByteArrayOutputStream v = new ByteArrayOutputStream();
        v.writeBytes(bytes(1, tag.getBytes(StandardCharsets.UTF_8)));
        v.write((2 << 3) | 5);
        v.writeBytes(le32f(value));
        return v.toByteArray();
    }

    static byte[] tensor(String tag, byte[] tensorProto) {
        // TF2 also sets metadata (field 9) naming the scalars plugin; readers must skip what they do not use.
        return concat(bytes(1, tag.getBytes(StandardCharsets.UTF_8)), bytes(9, bytes(1, bytes(1, "scalars".getBytes(StandardCharsets.UTF_8)))),
                bytes(8, tensorProto));
    }

    static byte[] bytes(int field, byte[] b) {
        return concat(varint((field << 3) | 2), varint(b.length), b);
    }

    static byte[] varintField(int field, long v) {
        return concat(varint(field << 3), varint(v));
    }

    static byte[] varint(long v) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        while ((v & ~0x7FL) != 0) {
            o.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        o.write((int) v);
        return o.toByteArray();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }

    static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    static byte[] le32f(float v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array();
    }

    static byte[] le64d(double v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(v).array();
    }
}
