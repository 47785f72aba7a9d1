package dev.quokka.training;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.shade.protobuf.UnknownFieldSet;

/** The event file read back as TensorBoard reads it: TFRecord framing with masked CRCs, then the protos' fields. */
class TensorBoardEventsTest {

    @Test
    void recordsAndProtosReadBack() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TensorBoardEvents events = new TensorBoardEvents(bytes, 1700000000.5)) {
            Map<String, Double> scalars = new LinkedHashMap<>();
            scalars.put("train/loss", 3.25);
            scalars.put("train/lr", 2e-4);
            events.scalars(300, 1700000001.0, scalars);
        }
        List<byte[]> records = records(bytes.toByteArray());
        assertEquals(2, records.size());

        UnknownFieldSet header = UnknownFieldSet.parseFrom(records.get(0));
        assertEquals("brain.Event:2", header.getField(3).getLengthDelimitedList().get(0).toStringUtf8());
        assertEquals(1700000000.5, Double.longBitsToDouble(header.getField(1).getFixed64List().get(0)));

        UnknownFieldSet event = UnknownFieldSet.parseFrom(records.get(1));
        assertEquals(300L, event.getField(2).getVarintList().get(0));
        UnknownFieldSet summary = UnknownFieldSet.parseFrom(event.getField(5).getLengthDelimitedList().get(0));
        Map<String, Float> values = new LinkedHashMap<>();
        for (var v : summary.getField(1).getLengthDelimitedList()) {
            UnknownFieldSet value = UnknownFieldSet.parseFrom(v);
            values.put(value.getField(1).getLengthDelimitedList().get(0).toStringUtf8(), Float.intBitsToFloat(value.getField(2).getFixed32List().get(0)));
        }
        assertEquals(Map.of("train/loss", 3.25f, "train/lr", 2e-4f), values);
    }

    /** TFRecord framing: u64 length, masked CRC-32C of it, the data, masked CRC-32C of the data. */
    static List<byte[]> records(byte[] file) {
        List<byte[]> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            byte[] len = new byte[8];
            b.get(len);
            assertEquals(TensorBoardEvents.maskedCrc(len), b.getInt(), "length CRC");
            byte[] data = new byte[(int) ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong()];
            b.get(data);
            assertEquals(TensorBoardEvents.maskedCrc(data), b.getInt(), "data CRC");
            out.add(Arrays.copyOf(data, data.length));
        }
        return out;
    }

    @Test
    void crcIsCastagnolisMaskedAsTensorFlowDoes() {
        // crc32c("123456789") = 0xE3069283; masked = rotate right 15, plus 0xa282ead8
        int crc = 0xE3069283;
        assertEquals(((crc >>> 15) | (crc << 17)) + 0xa282ead8, TensorBoardEvents.maskedCrc("123456789".getBytes()));
    }
}
