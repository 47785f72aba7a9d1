package dev.quokka.training;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Scalars in TensorBoard's event-file format, written by hand to avoid a TensorFlow dependency: TFRecords (length,
 * masked CRC-32C of the length, data, masked CRC-32C of the data) holding {@code Event} protos whose
 * {@code Summary} has {@code simple_value}s. Field numbers are those of TensorFlow's event.proto and summary.proto.
 */
public final class TensorBoardEvents implements AutoCloseable {
    private final OutputStream out;

    public TensorBoardEvents(OutputStream out, double wallTime) throws IOException {
        this.out = out;
        ByteArrayOutputStream event = new ByteArrayOutputStream();
        wallTime(event, wallTime);
        bytes(event, 3, "brain.Event:2".getBytes(StandardCharsets.UTF_8)); // file_version
        record(event.toByteArray());
    }

    /** One event at {@code step} holding each scalar under its tag. */
    public void scalars(long step, double wallTime, Map<String, Double> values) throws IOException {
        ByteArrayOutputStream summary = new ByteArrayOutputStream();
        for (Map.Entry<String, Double> v : values.entrySet()) {
            ByteArrayOutputStream value = new ByteArrayOutputStream();
            bytes(value, 1, v.getKey().getBytes(StandardCharsets.UTF_8)); // tag
            value.write((2 << 3) | 5); // simple_value, fixed32
            value.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v.getValue().floatValue()).array());
            bytes(summary, 1, value.toByteArray());
        }
        ByteArrayOutputStream event = new ByteArrayOutputStream();
        wallTime(event, wallTime);
        event.write(2 << 3); // step, varint
        varint(event, step);
        bytes(event, 5, summary.toByteArray()); // summary
        record(event.toByteArray());
    }

    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    private void record(byte[] data) throws IOException {
        byte[] length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(data.length).array();
        out.write(length);
        out.write(le32(maskedCrc(length)));
        out.write(data);
        out.write(le32(maskedCrc(data)));
    }

    static int maskedCrc(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + 0xa282ead8;
    }

    private static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    private static void wallTime(ByteArrayOutputStream event, double seconds) {
        event.write((1 << 3) | 1); // wall_time, fixed64
        event.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(seconds).array());
    }

    private static void bytes(ByteArrayOutputStream m, int field, byte[] b) {
        m.write((field << 3) | 2);
        varint(m, b.length);
        m.writeBytes(b);
    }

    private static void varint(ByteArrayOutputStream m, long v) {
        while ((v & ~0x7FL) != 0) {
            m.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        m.write((int) v);
    }
}
