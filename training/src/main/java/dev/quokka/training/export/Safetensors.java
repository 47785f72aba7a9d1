package dev.quokka.training.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quokka.training.Engine;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * The safetensors format (huggingface/safetensors, its README's "Format"): an unsigned 64-bit little-endian N, then N
 * bytes of UTF-8 JSON mapping each tensor's name to {@code {"dtype", "shape", "data_offsets": [begin, end)}} (offsets
 * into the data that follows, which must be contiguous and in order) and an optional {@code "__metadata__"} of
 * strings, padded with spaces; then the tensors' bytes, row-major and little-endian.
 */
public final class Safetensors {
    private Safetensors() {}

    /** Writes {@code tensors} as float32 (F32), in their map order, with {@code metadata}. */
    public static void write(OutputStream out, Map<String, Engine.Weights> tensors, Map<String, String> metadata) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        metadata.forEach(meta::put);
        long offset = 0;
        for (Map.Entry<String, Engine.Weights> t : tensors.entrySet()) {
            ObjectNode e = header.putObject(t.getKey());
            e.put("dtype", "F32");
            var shape = e.putArray("shape");
            long n = 1;
            for (long d : t.getValue().shape()) {
                shape.add(d);
                n *= d;
            }
            if (n != t.getValue().values().length) throw new IllegalArgumentException(t.getKey() + ": " + t.getValue().values().length + " values for a shape of " + n);
            e.putArray("data_offsets").add(offset).add(offset + 4 * n);
            offset += 4 * n;
        }
        byte[] text = json.writeValueAsBytes(header);
        int padded = (text.length + 7) / 8 * 8; // the data then starts 8-byte aligned
        ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
        out.write(length.array());
        out.write(text);
        for (int i = text.length; i < padded; i++) out.write(' ');
        for (Engine.Weights w : tensors.values()) {
            ByteBuffer b = ByteBuffer.allocate(4 * w.values().length).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : w.values()) b.putFloat(v);
            out.write(b.array());
        }
    }
}
