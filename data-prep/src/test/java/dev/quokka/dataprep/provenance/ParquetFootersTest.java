package dev.quokka.dataprep.provenance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.quokka.dataprep.SparkTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.parquet.format.ColumnMetaData;
import org.apache.parquet.format.Encoding;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.Util;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two files that differ only in the order parquet-mr listed encodings become the same bytes. */
@Tag("slow")
class ParquetFootersTest {
    @TempDir
    Path dir;

    @Test
    void encodingOrderNoLongerMatters() throws Exception {
        SparkTest.spark().range(0, 5000).selectExpr("id", "id % 7 as small", "cast(id as string) as s").coalesce(1)
                .write().parquet(dir.resolve("t").toString());
        Path original;
        try (var s = Files.list(dir.resolve("t"))) {
            original = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(original);
        Path a = dir.resolve("a.parquet"), b = dir.resolve("b.parquet");
        Files.write(a, bytes);
        Files.write(b, withReversedEncodings(bytes)); // what another JVM's hash codes could have written
        assertFalse(Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(b)));
        FileSystem fs = FileSystem.getLocal(new Configuration());
        ParquetFooters.canonicalize(fs, new org.apache.hadoop.fs.Path(a.toUri()));
        ParquetFooters.canonicalize(fs, new org.apache.hadoop.fs.Path(b.toUri()));
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        assertEquals(5000, SparkTest.spark().read().parquet(b.toString()).count(), "still a readable Parquet file");
    }

    private static byte[] withReversedEncodings(byte[] file) throws Exception {
        int n = file.length;
        int footerLength = ByteBuffer.wrap(file, n - 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        FileMetaData meta = Util.readFileMetaData(new ByteArrayInputStream(file, n - 8 - footerLength, footerLength));
        boolean changed = false;
        for (var g : meta.getRow_groups()) {
            for (var c : g.getColumns()) {
                ColumnMetaData m = c.getMeta_data();
                List<Encoding> e = new ArrayList<>(m.getEncodings());
                Collections.reverse(e);
                changed |= !e.equals(m.getEncodings());
                m.setEncodings(e);
            }
        }
        if (!changed) throw new IllegalStateException("no column has two encodings to swap");
        ByteArrayOutputStream footer = new ByteArrayOutputStream();
        Util.writeFileMetaData(meta, footer);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(file, 0, n - 8 - footerLength);
        footer.writeTo(out);
        out.write(file, n - 8, 8);
        return out.toByteArray();
    }
}
