package dev.quokka.dataprep.provenance;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.format.ColumnChunk;
import org.apache.parquet.format.ColumnMetaData;
import org.apache.parquet.format.Encoding;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.PageEncodingStats;
import org.apache.parquet.format.RowGroup;
import org.apache.parquet.format.Util;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;

/**
 * Makes Parquet files byte-identical across JVMs. parquet-mr gathers each column chunk's encodings in a HashSet of
 * enums, whose order follows identity hash codes, so two runs that write the same data can differ in the footer.
 * Sorting those lists gives a footer of the same length that depends on the data alone; the data pages are untouched.
 */
public final class ParquetFooters {
    private static final byte[] MAGIC = {'P', 'A', 'R', '1'};

    private ParquetFooters() {}

    /** Rewrites the file with a canonical footer if its footer is not canonical already. */
    public static void canonicalize(FileSystem fs, Path file) throws IOException {
        long length = fs.getFileStatus(file).getLen();
        byte[] tail = new byte[8];
        int footerLength;
        byte[] footer;
        try (FSDataInputStream in = fs.open(file)) {
            in.readFully(length - 8, tail);
            footerLength = ByteBuffer.wrap(tail, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            if (!java.util.Arrays.equals(java.util.Arrays.copyOfRange(tail, 4, 8), MAGIC)) throw new IOException(file + ": not a Parquet file");
            footer = new byte[footerLength];
            in.readFully(length - 8 - footerLength, footer);
        }
        FileMetaData meta = Util.readFileMetaData(new ByteArrayInputStream(footer));
        if (!sort(meta)) return;
        ByteArrayOutputStream rewritten = new ByteArrayOutputStream(footerLength);
        Util.writeFileMetaData(meta, rewritten);
        if (rewritten.size() != footerLength) throw new IOException(file + ": canonical footer changed length");

        Path tmp = new Path(file.getParent(), "." + file.getName() + ".canonical");
        try (InputStream in = fs.open(file); OutputStream out = fs.create(tmp, true)) {
            copy(in, out, length - 8 - footerLength);
            rewritten.writeTo(out);
            out.write(tail);
        }
        if (!fs.delete(file, false) || !fs.rename(tmp, file)) throw new IOException("could not replace " + file);
    }

    /** The number of rows in a Parquet file, from its footer. */
    public static long rows(FileStatus file, Configuration conf) throws IOException {
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromStatus(file, conf))) {
            return reader.getRecordCount();
        }
    }

    /** Sorts every encodings list; returns whether anything moved. */
    private static boolean sort(FileMetaData meta) {
        boolean moved = false;
        for (RowGroup g : meta.getRow_groups()) {
            for (ColumnChunk c : g.getColumns()) {
                ColumnMetaData m = c.getMeta_data();
                List<Encoding> encodings = new ArrayList<>(m.getEncodings());
                encodings.sort(Comparator.comparingInt(Encoding::getValue));
                if (!encodings.equals(m.getEncodings())) {
                    m.setEncodings(encodings);
                    moved = true;
                }
                if (m.isSetEncoding_stats()) {
                    List<PageEncodingStats> stats = new ArrayList<>(m.getEncoding_stats());
                    stats.sort(Comparator.comparingInt((PageEncodingStats s) -> s.getPage_type().getValue())
                            .thenComparingInt(s -> s.getEncoding().getValue()));
                    if (!stats.equals(m.getEncoding_stats())) {
                        m.setEncoding_stats(stats);
                        moved = true;
                    }
                }
            }
        }
        return moved;
    }

    private static void copy(InputStream in, OutputStream out, long n) throws IOException {
        byte[] buf = new byte[1 << 16];
        while (n > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n));
            if (r < 0) throw new IOException("unexpected end of file");
            out.write(buf, 0, r);
            n -= r;
        }
    }
}
