package dev.quokka.dataprep.tokenize;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quokka.dataprep.format.Schemas;
import dev.quokka.dataprep.provenance.InputFiles.InputFile;
import dev.quokka.dataprep.spark.SerializableConfiguration;
import dev.quokka.dataprep.spark.ZstdCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.hadoop.mapreduce.Job;
import org.apache.hadoop.mapreduce.lib.input.FileInputFormat;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.hadoop.mapreduce.lib.input.TextInputFormat;
import org.apache.spark.api.java.JavaNewHadoopRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * Reads input files into raw records (source, position, text) with {@link Schemas#RAW}. A record that cannot be read
 * becomes a record with a reason instead of text, so that nothing is dropped uncounted. The position is the byte
 * offset of the line (lines, jsonl), the paragraph number (text, by paragraph), 0 (text, whole file) or the row
 * number in the file (parquet).
 */
public final class SourceReader {
    /** Codecs by file extension: Hadoop's gzip and bzip2, and zstd through {@link ZstdCodec}. */
    static final String CODECS = String.join(",", "org.apache.hadoop.io.compress.GzipCodec",
            "org.apache.hadoop.io.compress.BZip2Codec", "org.apache.hadoop.io.compress.DefaultCodec", ZstdCodec.NAME);

    private SourceReader() {}

    public static Configuration hadoopConf(SparkSession spark) {
        Configuration conf = new Configuration(spark.sparkContext().hadoopConfiguration());
        conf.set("io.compression.codecs", CODECS);
        return conf;
    }

    public static JavaRDD<Row> read(SparkSession spark, List<InputFile> files, TokenizeConfig cfg) throws IOException {
        Map<String, String> sources = new HashMap<>();
        files.forEach(f -> sources.put(f.uri(), f.source()));
        return switch (cfg.format()) {
            case LINES, JSONL -> lines(spark, files, sources, cfg);
            case TEXT -> wholeFiles(spark, files, cfg);
            case PARQUET -> parquet(spark, files, sources, cfg);
        };
    }

    private static JavaRDD<Row> lines(SparkSession spark, List<InputFile> files, Map<String, String> sources,
                                      TokenizeConfig cfg) throws IOException {
        Job job = Job.getInstance(hadoopConf(spark));
        FileInputFormat.setInputPaths(job, files.stream().map(f -> new Path(f.uri())).toArray(Path[]::new));
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        @SuppressWarnings("unchecked")
        JavaNewHadoopRDD<LongWritable, Text> rdd = (JavaNewHadoopRDD<LongWritable, Text>)
                sc.newAPIHadoopRDD(job.getConfiguration(), TextInputFormat.class, LongWritable.class, Text.class);
        boolean jsonl = cfg.format() == TokenizeConfig.Format.JSONL;
        String field = cfg.textField();
        long maxBytes = cfg.maxDocumentBytes();
        return rdd.mapPartitionsWithInputSplit((split, records) -> {
            String uri = ((FileSplit) split).getPath().toString();
            String source = sources.get(uri);
            if (source == null) throw new IllegalStateException("input split of an unlisted file " + uri + " (listed: " + sources.keySet() + ")");
            ObjectMapper json = jsonl ? new ObjectMapper() : null;
            return new UnreadableTail(source, new MappingIterator<>(records, t -> {
                long offset = t._1().get();
                Text line = t._2();
                if (line.getLength() > maxBytes) return tooLarge(source, offset, source + " at byte " + offset, line.getLength(), maxBytes);
                String text;
                try {
                    text = decode(line.getBytes(), line.getLength());
                } catch (CharacterCodingException e) {
                    return bad(source, offset, "invalid_utf8", source + " at byte " + offset + ": invalid UTF-8", lossy(line.getBytes(), line.getLength()));
                }
                return jsonl ? jsonRecord(json, source, offset, source + " at byte " + offset, text, field) : good(source, offset, text);
            }));
        }, true);
    }

    private static Row jsonRecord(ObjectMapper json, String source, long offset, String where, String line, String field) {
        if (line.isBlank()) return good(source, offset, "");
        JsonNode node;
        try {
            node = json.readTree(line);
        } catch (JsonProcessingException e) {
            return bad(source, offset, "malformed_json", where + ": malformed JSON: " + e.getOriginalMessage(), line);
        }
        if (node == null || !node.isObject()) return bad(source, offset, "malformed_json", where + ": not a JSON object", line);
        JsonNode text = node.get(field);
        if (text == null) return bad(source, offset, "missing_field", where + ": no field '" + field + "'", line);
        if (text.isNull()) return bad(source, offset, "null_text", where + ": field '" + field + "' is null", line);
        if (!text.isTextual()) return bad(source, offset, "not_a_string", where + ": field '" + field + "' is not a string", line);
        return good(source, offset, text.asText());
    }

    /** TEXT: each file is read on an executor, decompressed by extension, as one document or by paragraph. */
    private static JavaRDD<Row> wholeFiles(SparkSession spark, List<InputFile> files, TokenizeConfig cfg) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        SerializableConfiguration conf = new SerializableConfiguration(hadoopConf(spark));
        boolean paragraphs = cfg.paragraphs();
        long maxBytes = cfg.maxDocumentBytes();
        return sc.parallelize(files, Math.max(1, Math.min(files.size(), 10_000))).flatMap(f -> {
            List<Row> out = new ArrayList<>();
            byte[] bytes;
            try {
                bytes = readAll(f, conf.get(), paragraphs ? Long.MAX_VALUE : maxBytes + 1);
            } catch (IOException e) {
                out.add(unreadable(f.source(), 0, f.source(), e));
                return out.iterator();
            }
            if (!paragraphs && bytes.length > maxBytes) {
                out.add(tooLarge(f.source(), 0, f.source(), bytes.length, maxBytes));
                return out.iterator();
            }
            String text;
            try {
                text = decode(bytes, bytes.length);
            } catch (CharacterCodingException e) {
                out.add(bad(f.source(), 0, "invalid_utf8", f.source() + ": invalid UTF-8", lossy(bytes, bytes.length)));
                return out.iterator();
            }
            if (!paragraphs) {
                out.add(good(f.source(), 0, text));
            } else {
                long n = 0;
                for (String p : Paragraphs.split(text)) {
                    long size = p.length() * 3L;
                    if (size > maxBytes && p.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
                        out.add(tooLarge(f.source(), n, f.source() + " paragraph " + n, p.getBytes(StandardCharsets.UTF_8).length, maxBytes));
                    } else {
                        out.add(good(f.source(), n, p));
                    }
                    n++;
                }
            }
            return out.iterator();
        });
    }

    private static byte[] readAll(InputFile f, Configuration conf, long limit) throws IOException {
        Path path = new Path(f.uri());
        CompressionCodec codec = new CompressionCodecFactory(conf).getCodec(path);
        try (InputStream raw = path.getFileSystem(conf).open(path);
             InputStream in = codec == null ? raw : codec.createInputStream(raw)) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            byte[] chunk = new byte[1 << 16];
            int n;
            while (buf.size() < limit && (n = in.read(chunk)) > 0) buf.write(chunk, 0, n);
            return buf.toByteArray();
        }
    }

    private static JavaRDD<Row> parquet(SparkSession spark, List<InputFile> files, Map<String, String> sources,
                                        TokenizeConfig cfg) {
        Dataset<Row> df = spark.read().parquet(files.stream().map(InputFile::uri).toArray(String[]::new));
        String field = cfg.textField();
        StructField column = java.util.Arrays.stream(df.schema().fields()).filter(f -> f.name().equals(field)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("the Parquet input has no column '" + field
                        + "' (columns: " + String.join(", ", df.columns()) + ")"));
        if (!column.dataType().equals(DataTypes.StringType)) {
            throw new IllegalArgumentException("the Parquet column '" + field + "' is " + column.dataType().simpleString() + ", not a string");
        }
        Map<String, String> byPath = new HashMap<>();
        sources.forEach((uri, source) -> byPath.put(new Path(uri).toUri().getPath(), source));
        long maxBytes = cfg.maxDocumentBytes();
        return df.select(col(field), col("_metadata.file_path"), col("_metadata.row_index")).javaRDD().map(r -> {
            String source = byPath.get(new Path(r.getString(1)).toUri().getPath());
            if (source == null) throw new IllegalStateException("row from an unlisted file " + r.getString(1));
            long row = r.getLong(2);
            String where = source + " row " + row;
            if (r.isNullAt(0)) return bad(source, row, "null_text", where + ": column '" + field + "' is null", null);
            String text = r.getString(0);
            long bytes = text.getBytes(StandardCharsets.UTF_8).length;
            return bytes > maxBytes ? tooLarge(source, row, where, bytes, maxBytes) : good(source, row, text);
        });
    }

    /** Strict UTF-8: malformed input is an error, not a replacement character. */
    static String decode(byte[] bytes, int length) throws CharacterCodingException {
        String lenient = new String(bytes, 0, length, StandardCharsets.UTF_8); // the JDK's fast path
        if (lenient.indexOf('\uFFFD') < 0) return lenient; // nothing was replaced, so nothing was malformed
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, 0, length)).toString();
    }

    private static String lossy(byte[] bytes, int length) {
        return new String(bytes, 0, length, StandardCharsets.UTF_8);
    }

    private static Row good(String source, long position, String text) {
        return RowFactory.create(source, position, text, null, null, null);
    }

    /** A rejected record; {@code record} is the whole of it, as read (or null when there is none to keep). */
    private static Row bad(String source, long position, String reason, String detail, String record) {
        return RowFactory.create(source, position, null, reason, detail, record);
    }

    /**
     * The rest of a file that could not be read: a compressed stream cut short (a truncated download) or corrupt.
     * Everything read before it stands; the tail is one rejected record, so the counts still add up.
     */
    static Row unreadable(String source, long position, String where, Exception e) {
        String what = e instanceof java.io.EOFException ? "the file ends early (truncated?)" : "the file is corrupt";
        return bad(source, position, "unreadable", where + ": " + what + ": " + e.getClass().getSimpleName() + ": " + e.getMessage(), null);
    }

    /**
     * The records of one file's split, ending with an {@link #unreadable} record when the reader fails partway:
     * Hadoop's line reader throws from {@code hasNext} when a gzip stream ends early.
     */
    static final class UnreadableTail implements Iterator<Row> {
        private final String source;
        private final Iterator<Row> in;
        private long last = -1;
        private Row tail;
        private boolean done;

        UnreadableTail(String source, Iterator<Row> in) {
            this.source = source;
            this.in = in;
        }

        @Override
        public boolean hasNext() {
            if (done) return tail != null;
            try {
                if (in.hasNext()) return true;
                done = true;
                return false;
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) { // checked, from Hadoop's record reader through Scala's iterator
                done = true;
                tail = unreadable(source, last + 1, last < 0 ? source : source + " after the record at byte " + last, e);
                return true;
            }
        }

        @Override
        public Row next() {
            if (done) {
                if (tail == null) throw new java.util.NoSuchElementException();
                Row r = tail;
                tail = null;
                return r;
            }
            Row r = in.next();
            last = r.getLong(1);
            return r;
        }
    }

    private static Row tooLarge(String source, long position, String where, long bytes, long max) {
        return bad(source, position, "too_large", where + ": document of " + bytes + " bytes exceeds the limit of " + max, null);
    }

    /** Maps an iterator lazily, so a partition streams through in bounded memory. */
    static final class MappingIterator<A, B> implements Iterator<B> {
        private final Iterator<A> in;
        private final java.util.function.Function<A, B> f;

        MappingIterator(Iterator<A> in, java.util.function.Function<A, B> f) {
            this.in = in;
            this.f = f;
        }

        @Override
        public boolean hasNext() {
            return in.hasNext();
        }

        @Override
        public B next() {
            return f.apply(in.next());
        }
    }
}
