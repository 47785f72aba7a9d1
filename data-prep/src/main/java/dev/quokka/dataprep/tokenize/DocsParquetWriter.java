package dev.quokka.dataprep.tokenize;

import com.github.luben.zstd.Zstd;
import dev.quokka.dataprep.format.Schemas;
import dev.quokka.dataprep.format.TokenListColumn;
import java.io.Closeable;
import java.io.IOException;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.ColumnWriter;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetOutputFormat;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * Writes tokenized documents ({@link Schemas#DOCS}) to one zstd-compressed Parquet file. Spark's writer passes every
 * token through a record consumer that tracks nesting value by value, and that cost more than tokenizing did
 * (BENCHMARKS.md). Here the scalar columns go through parquet-mr's column writers and the tokens through
 * {@link TokenListColumn}, a list at a time. The footer carries the Spark schema, so Spark reads the files as if it
 * had written them. Row groups and pages follow the {@code parquet.*} settings of the Hadoop configuration.
 */
final class DocsParquetWriter implements Closeable {
    static final MessageType SCHEMA = MessageTypeParser.parseMessageType("""
            message spark_schema {
              required int64 doc_id;
              required binary source (STRING);
              required int64 position;
              required int32 n_tokens;
              required group tokens (LIST) {
                repeated group list {
                  required int32 element;
                }
              }
            }""");
    /** The columns of one value a row, which parquet-mr's column writers take; the tokens are written as pages. */
    private static final MessageType SCALARS = new MessageType("spark_schema",
            SCHEMA.getFields().stream().filter(f -> f.isPrimitive()).toList());
    private static final ColumnDescriptor TOKENS = SCHEMA.getColumnDescription(new String[] {"tokens", "list", "element"});

    /** The codec, read as parquet-mr names it: ZSTD (the default), SNAPPY or UNCOMPRESSED. */
    static final String CODEC = "parquet.compression";
    /** The zstd level, read as parquet-mr names it; parquet-mr's default is 3. */
    static final String ZSTD_LEVEL = "parquet.compression.codec.zstd.level";
    static final int DEFAULT_ZSTD_LEVEL = 3;

    private final ParquetFileWriter file;
    private final ParquetProperties props;
    private final CodecFactory.BytesCompressor compressor;
    private final long rowGroupBytes;
    private final Map<String, String> footer;
    private ColumnChunkPageWriteStore pages;
    private ColumnWriteStore columns;
    private final TokenListColumn tokenColumn;
    private ColumnWriter[] writers;
    private long rows;
    private long nextSizeCheck;
    private String lastSource;
    private Binary lastSourceBinary;

    /** @param sparkVersion recorded in the footer as Spark records it */
    DocsParquetWriter(Path path, Configuration conf, String sparkVersion) throws IOException {
        props = ParquetProperties.builder()
                .withPageSize(ParquetOutputFormat.getPageSize(conf))
                .withDictionaryPageSize(ParquetOutputFormat.getDictionaryPageSize(conf))
                .withDictionaryEncoding(ParquetOutputFormat.getEnableDictionary(conf))
                .withWriterVersion(ParquetOutputFormat.getWriterVersion(conf))
                .build();
        rowGroupBytes = ParquetOutputFormat.getLongBlockSize(conf);
        compressor = compressor(conf);
        // Sorted: Map.of iterates in an order that changes from JVM to JVM, and the writer keeps the map's order.
        footer = new java.util.TreeMap<>(Map.of("org.apache.spark.version", sparkVersion,
                "org.apache.spark.sql.parquet.row.metadata", Schemas.DOCS.json()));
        file = new ParquetFileWriter(HadoopOutputFile.fromPath(path, conf), SCHEMA, ParquetFileWriter.Mode.CREATE,
                rowGroupBytes, ParquetWriter.MAX_PADDING_SIZE_DEFAULT);
        tokenColumn = new TokenListColumn(TOKENS, props.getPageSizeThreshold());
        file.start();
        startRowGroup();
    }

    /** Writes one document; a document it refuses (a token id out of range) leaves the file as it was. */
    void write(long docId, String source, long position, int[] tokens) throws IOException {
        tokenColumn.add(tokens, pages.getPageWriter(TOKENS));
        if (!source.equals(lastSource)) {
            lastSource = source;
            lastSourceBinary = Binary.fromString(source);
        }
        writers[0].write(docId, 0, 0);
        writers[1].write(lastSourceBinary, 0, 0);
        writers[2].write(position, 0, 0);
        writers[3].write(tokens.length, 0, 0);
        columns.endRecord();
        if (++rows >= nextSizeCheck) checkRowGroupSize();
    }

    /** Buffered sizes are sums over all pages, so they are looked at every so often, as parquet-mr does. */
    private void checkRowGroupSize() throws IOException {
        long size = columns.getBufferedSize() + pages.getPageWriter(TOKENS).getMemSize() + tokenColumn.bufferedBytes();
        if (size >= rowGroupBytes) {
            flushRowGroup();
            startRowGroup();
        } else {
            long perRow = Math.max(1, size / rows);
            nextSizeCheck = rows + Math.max(100, Math.min(10_000, (rowGroupBytes - size) / perRow / 2));
        }
    }

    private void startRowGroup() {
        pages = new ColumnChunkPageWriteStore(compressor, SCHEMA, props.getAllocator(),
                props.getColumnIndexTruncateLength(), props.getPageWriteChecksumEnabled());
        columns = props.newColumnWriteStore(SCALARS, pages, pages);
        writers = SCALARS.getColumns().stream().map(columns::getColumnWriter).toArray(ColumnWriter[]::new);
        rows = 0;
        nextSizeCheck = 100;
    }

    private void flushRowGroup() throws IOException {
        if (rows > 0) {
            file.startBlock(rows);
            columns.flush();
            tokenColumn.endChunk(pages.getPageWriter(TOKENS));
            pages.flushToFileWriter(file);
            file.endBlock();
        }
        columns.close();
    }

    @Override
    public void close() throws IOException {
        flushRowGroup();
        file.end(footer);
    }

    private static CodecFactory.BytesCompressor compressor(Configuration conf) {
        String codec = conf.get(CODEC, "ZSTD").toUpperCase(java.util.Locale.ROOT);
        return switch (codec) {
            case "ZSTD" -> new Pages(CompressionCodecName.ZSTD, b -> Zstd.compress(b, conf.getInt(ZSTD_LEVEL, DEFAULT_ZSTD_LEVEL)));
            case "SNAPPY" -> new Pages(CompressionCodecName.SNAPPY, org.xerial.snappy.Snappy::compress);
            case "UNCOMPRESSED" -> new Pages(CompressionCodecName.UNCOMPRESSED, null);
            default -> throw new IllegalArgumentException(CODEC + ": '" + codec + "' is not ZSTD, SNAPPY or UNCOMPRESSED");
        };
    }

    private interface Codec {
        byte[] compress(byte[] bytes) throws IOException;
    }

    /**
     * Pages compressed here rather than by parquet-mr's codec factory: parquet-mr 1.13 caches its zstd codec, and with
     * it the first level any job in the JVM asked for, for the life of the JVM.
     */
    private static final class Pages extends CodecFactory.BytesCompressor {
        private final CompressionCodecName name;
        private final Codec codec;

        Pages(CompressionCodecName name, Codec codec) {
            this.name = name;
            this.codec = codec;
        }

        @Override
        public BytesInput compress(BytesInput bytes) throws IOException {
            if (name == CompressionCodecName.UNCOMPRESSED) return bytes;
            return BytesInput.from(codec.compress(bytes.toByteArray()));
        }

        @Override
        public CompressionCodecName getCodecName() {
            return name;
        }

        @Override
        public void release() {}
    }
}
