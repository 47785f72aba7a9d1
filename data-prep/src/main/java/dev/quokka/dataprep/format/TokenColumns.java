package dev.quokka.dataprep.format;

import java.io.IOException;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.DummyRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;

/**
 * Reads a key column and a list-of-int column (such as {@code offset} and {@code tokens}) straight from Parquet's
 * column readers: no object per value, which makes loading a study's tokens an order of magnitude faster than
 * row-by-row group reading.
 */
public final class TokenColumns {
    /** Receives one row: its two keys and its ints. */
    @FunctionalInterface
    public interface RowVisitor {
        void accept(long key1, long key2, int[] values);
    }

    private TokenColumns() {}

    public static void read(Path file, Configuration conf, String key1Column, String key2Column, String listColumn,
                     RowVisitor visitor) throws IOException {
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
            MessageType schema = reader.getFooter().getFileMetaData().getSchema();
            ColumnDescriptor key1 = schema.getColumnDescription(new String[] {key1Column});
            ColumnDescriptor key2 = schema.getColumnDescription(new String[] {key2Column});
            ColumnDescriptor list = schema.getColumnDescription(new String[] {listColumn, "list", "element"});
            String createdBy = reader.getFooter().getFileMetaData().getCreatedBy();
            PageReadStore pages;
            while ((pages = reader.readNextRowGroup()) != null) {
                ColumnReadStoreImpl store = new ColumnReadStoreImpl(pages, new DummyRecordConverter(schema).getRootConverter(), schema, createdBy);
                ColumnReader keys1 = store.getColumnReader(key1);
                ColumnReader keys2 = key2Column.equals(key1Column) ? null : store.getColumnReader(key2); // one reader a column
                ColumnReader values = store.getColumnReader(list);
                long rows = pages.getRowCount();
                int listDefined = list.getMaxDefinitionLevel();
                int[] buf = new int[1024];
                long total = values.getTotalValueCount();
                long consumed = 0;
                for (long r = 0; r < rows; r++) {
                    long k1 = integral(key1, keys1);
                    long k2 = keys2 == null ? k1 : integral(key2, keys2);
                    int n = 0;
                    // The first value of a row has repetition level 0; an empty or null list has a lower definition level.
                    do {
                        if (values.getCurrentDefinitionLevel() == listDefined) {
                            if (n == buf.length) buf = Arrays.copyOf(buf, n * 2);
                            buf[n++] = values.getInteger();
                        }
                        values.consume();
                        consumed++;
                    } while (consumed < total && values.getCurrentRepetitionLevel() > 0);
                    visitor.accept(k1, k2, Arrays.copyOf(buf, n));
                }
            }
        }
    }

    private static long integral(ColumnDescriptor d, ColumnReader c) {
        long v = d.getPrimitiveType().getPrimitiveTypeName() == PrimitiveTypeName.INT64 ? c.getLong() : c.getInteger();
        c.consume();
        return v;
    }
}
