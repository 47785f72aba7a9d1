package dev.quokka.dataprep.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quokka.dataprep.SparkTest;
import dev.quokka.dataprep.format.Schemas;
import dev.quokka.dataprep.format.TokenColumns;
import dev.quokka.dataprep.format.TokenListColumn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Documents written by {@link DocsParquetWriter} read back exactly, through three independent readers (Spark's
 * vectorized and row readers, and parquet-mr's column readers), across many pages and row groups, with empty lists,
 * a dictionary that grows past one byte of width in mid-chunk, and ids near the vocabulary's end.
 */
@Tag("slow")
class DocsParquetWriterTest {
    @TempDir
    Path dir;

    record Written(long docId, String source, long position, int[] tokens) {}

    @Test
    void documentsReadBackExactlyThroughEveryReader() throws Exception {
        Random rnd = new Random(7);
        List<Written> docs = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            int n = i % 97 == 0 ? 0 : rnd.nextInt(i < 100 ? 20 : 400);
            int[] tokens = new int[n];
            for (int j = 0; j < n; j++) {
                // Few distinct ids at first (narrow indices), then a Zipf-like spread up to the GPT-2 vocabulary.
                tokens[j] = i < 100 ? rnd.nextInt(60) : (int) Math.min(50256, Math.floor(Math.exp(rnd.nextDouble() * Math.log(50257))));
            }
            docs.add(new Written(rnd.nextLong(), "corpus/part-" + (i / 1000) + ".txt", i, tokens));
        }
        Configuration conf = new Configuration();
        conf.setInt("parquet.page.size", 4096);
        conf.setLong("parquet.block.size", 64 << 10);
        Path file = dir.resolve("docs.parquet");
        org.apache.hadoop.fs.Path hadoopFile = new org.apache.hadoop.fs.Path(file.toUri());
        try (DocsParquetWriter w = new DocsParquetWriter(hadoopFile, conf, "3.5.9")) {
            for (Written d : docs) w.write(d.docId(), d.source(), d.position(), d.tokens());
        }

        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(hadoopFile, conf))) {
            List<BlockMetaData> groups = r.getFooter().getBlocks();
            assertTrue(groups.size() > 3, "expected several row groups, got " + groups.size());
            assertEquals(docs.size(), groups.stream().mapToLong(BlockMetaData::getRowCount).sum());
        }

        // The footer's metadata in key order, in every JVM: from a Map.of, whose order changes with each JVM's salt,
        // tokenize's files differed from process to process (this check then failed in about half of all JVMs).
        byte[] bytes = java.nio.file.Files.readAllBytes(file);
        int footerLength = java.nio.ByteBuffer.wrap(bytes, bytes.length - 8, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
        List<String> keys = org.apache.parquet.format.Util.readFileMetaData(new java.io.ByteArrayInputStream(bytes, bytes.length - 8 - footerLength, footerLength))
                .getKey_value_metadata().stream().map(org.apache.parquet.format.KeyValue::getKey).toList();
        assertEquals(List.of("org.apache.spark.sql.parquet.row.metadata", "org.apache.spark.version"), keys);

        List<Written> columns = new ArrayList<>();
        TokenColumns.read(hadoopFile, conf, "doc_id", "position", "tokens", (id, pos, tokens) -> columns.add(new Written(id, null, pos, tokens)));
        assertEquals(docs.size(), columns.size());
        for (int i = 0; i < docs.size(); i++) {
            assertEquals(docs.get(i).docId(), columns.get(i).docId());
            assertArrayEquals(docs.get(i).tokens(), columns.get(i).tokens(), "tokens of row " + i);
        }

        SparkSession spark = SparkTest.spark();
        for (boolean vectorized : new boolean[] {true, false}) {
            spark.conf().set("spark.sql.parquet.enableVectorizedReader", vectorized);
            try {
                Dataset<Row> read = spark.read().parquet(file.toString());
                assertEquals(Schemas.DOCS.simpleString(), read.schema().simpleString(), "the schema Spark sees");
                List<Row> rows = read.orderBy("position").collectAsList();
                assertEquals(docs.size(), rows.size());
                for (int i = 0; i < docs.size(); i++) {
                    Written d = docs.get(i);
                    Row row = rows.get(i);
                    String where = (vectorized ? "vectorized" : "row") + " reader, row " + i;
                    assertEquals(d.docId(), row.getLong(0), where);
                    assertEquals(d.source(), row.getString(1), where);
                    assertEquals(d.position(), row.getLong(2), where);
                    assertEquals(d.tokens().length, row.getInt(3), where);
                    assertArrayEquals(d.tokens(), row.<Integer>getList(4).stream().mapToInt(Integer::intValue).toArray(), where);
                }
                // Page and row-group statistics must hold for the values, or filters would skip rows they need.
                long longDocs = docs.stream().filter(d -> d.tokens().length > 350).count();
                assertEquals(longDocs, read.where("n_tokens > 350").count());
                assertEquals(docs.stream().filter(d -> d.position() >= 2500).count(), read.where("position >= 2500").count());
            } finally {
                spark.conf().unset("spark.sql.parquet.enableVectorizedReader");
            }
        }
    }

    @Test
    void everyCodecReadsBackAndAnUnknownOneIsRefused() throws Exception {
        for (String codec : List.of("ZSTD", "SNAPPY", "UNCOMPRESSED")) {
            Configuration conf = new Configuration();
            conf.set(DocsParquetWriter.CODEC, codec.toLowerCase());
            org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(dir.resolve(codec + ".parquet").toUri());
            Random rnd = new Random(5);
            List<int[]> written = new ArrayList<>();
            try (DocsParquetWriter w = new DocsParquetWriter(file, conf, "3.5.9")) {
                for (int i = 0; i < 300; i++) {
                    written.add(rnd.ints(rnd.nextInt(80), 0, 50257).toArray());
                    w.write(i, "s", i, written.get(i));
                }
            }
            try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
                for (BlockMetaData group : r.getFooter().getBlocks()) {
                    group.getColumns().forEach(c -> assertEquals(codec, c.getCodec().name(), c.getPath().toDotString()));
                }
            }
            List<int[]> read = new ArrayList<>();
            TokenColumns.read(file, conf, "doc_id", "position", "tokens", (id, pos, tokens) -> read.add(tokens));
            assertEquals(written.size(), read.size(), codec);
            for (int i = 0; i < written.size(); i++) assertArrayEquals(written.get(i), read.get(i), codec + ", row " + i);
        }
        Configuration bad = new Configuration();
        bad.set(DocsParquetWriter.CODEC, "lzo");
        var e = assertThrows(IllegalArgumentException.class,
                () -> new DocsParquetWriter(new org.apache.hadoop.fs.Path(dir.resolve("lzo.parquet").toUri()), bad, "3.5.9"));
        assertTrue(e.getMessage().contains("parquet.compression: 'LZO'"), e.getMessage());
        assertTrue(Files.notExists(dir.resolve("lzo.parquet")), "nothing is created");
    }

    @Test
    void writingTheSameDocumentsTwiceGivesTheSameBytes() throws Exception {
        Configuration conf = new Configuration();
        byte[][] files = new byte[2][];
        for (int k = 0; k < 2; k++) {
            Path file = dir.resolve("same-" + k + ".parquet");
            Random rnd = new Random(3);
            try (DocsParquetWriter w = new DocsParquetWriter(new org.apache.hadoop.fs.Path(file.toUri()), conf, "3.5.9")) {
                for (int i = 0; i < 500; i++) w.write(i, "s", i, rnd.ints(rnd.nextInt(50), 0, 1000).toArray());
            }
            files[k] = Files.readAllBytes(file);
        }
        assertArrayEquals(files[0], files[1]);
    }

    @Test
    void aDocumentWithAnIdOutOfRangeIsRefusedWhole() throws Exception {
        Path file = dir.resolve("bad.parquet");
        try (DocsParquetWriter w = new DocsParquetWriter(new org.apache.hadoop.fs.Path(file.toUri()), new Configuration(), "3.5.9")) {
            w.write(1, "s", 0, new int[] {5, 6});
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.write(2, "s", 1, new int[] {5, -1}));
            assertTrue(e.getMessage().contains("-1"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> w.write(3, "s", 2, new int[] {TokenListColumn.MAX_ID}));
            w.write(4, "s", 3, new int[] {7});
        }
        List<Row> rows = SparkTest.spark().read().parquet(file.toString()).orderBy("position").collectAsList();
        assertEquals(2, rows.size());
        assertEquals(List.of(5, 6), rows.get(0).getList(4));
        assertEquals(List.of(7), rows.get(1).getList(4));
    }
}
