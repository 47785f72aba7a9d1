package dev.quokka.dataprep.spark;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionInputStream;
import org.apache.hadoop.io.compress.CompressionOutputStream;
import org.apache.hadoop.io.compress.Compressor;
import org.apache.hadoop.io.compress.Decompressor;

/**
 * Reads and writes {@code .zst} files through zstd-jni, which Spark already ships. Hadoop's own ZStandardCodec needs
 * the native libhadoop, which Spark distributions and laptops usually lack.
 */
public final class ZstdCodec implements CompressionCodec {
    /** The value to append to {@code io.compression.codecs}. */
    public static final String NAME = ZstdCodec.class.getName();

    @Override
    public CompressionOutputStream createOutputStream(OutputStream out) throws IOException {
        ZstdOutputStream z = new ZstdOutputStream(out);
        return new CompressionOutputStream(z) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                z.write(b, off, len);
            }

            @Override
            public void write(int b) throws IOException {
                z.write(b);
            }

            @Override
            public void finish() throws IOException {
                z.flush();
            }

            @Override
            public void resetState() {}
        };
    }

    @Override
    public CompressionOutputStream createOutputStream(OutputStream out, Compressor compressor) throws IOException {
        return createOutputStream(out);
    }

    @Override
    public Class<? extends Compressor> getCompressorType() {
        return null;
    }

    @Override
    public Compressor createCompressor() {
        return null;
    }

    @Override
    public CompressionInputStream createInputStream(InputStream in) throws IOException {
        ZstdInputStream z = new ZstdInputStream(in);
        return new CompressionInputStream(z) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return z.read(b, off, len);
            }

            @Override
            public int read() throws IOException {
                return z.read();
            }

            @Override
            public void resetState() {}
        };
    }

    @Override
    public CompressionInputStream createInputStream(InputStream in, Decompressor decompressor) throws IOException {
        return createInputStream(in);
    }

    @Override
    public Class<? extends Decompressor> getDecompressorType() {
        return null;
    }

    @Override
    public Decompressor createDecompressor() {
        return null;
    }

    @Override
    public String getDefaultExtension() {
        return ".zst";
    }
}
