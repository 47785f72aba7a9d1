package dev.quokka.dataprep.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quokka.dataprep.format.DocIds;
import dev.quokka.dataprep.format.Schemas;
import dev.quokka.dataprep.provenance.AtomicOutput;
import dev.quokka.dataprep.provenance.BuildInfo;
import dev.quokka.dataprep.provenance.InputFiles.InputFile;
import dev.quokka.dataprep.provenance.InputFiles;
import dev.quokka.dataprep.provenance.Manifests;
import dev.quokka.dataprep.provenance.ParquetFooters;
import dev.quokka.dataprep.spark.Partitions;
import dev.quokka.dataprep.spark.SerializableConfiguration;
import dev.quokka.dataprep.spark.Stragglers;
import dev.quokka.tokenizer.Tokenizer;
import dev.quokka.tokenizer.TokenizerJson;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.HashPartitioner;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code quokka tokenize}: corpora to a Parquet dataset of tokenized documents ({@link Schemas#DOCS}), with a
 * manifest whose counts add up: every record read is a document, an empty document or a rejected record.
 *
 * <p>The output does not depend on the parallelism: each Hadoop input split (set by the files and their block size,
 * not by the cores) becomes one file with a fixed name, its documents in input order. Parquet input, which Spark
 * splits by cores, is hash-partitioned by document id instead.
 */
public final class TokenizeJob {
    public static final String FORMAT = "quokka.docs/1";
    private static final Logger LOG = LoggerFactory.getLogger(TokenizeJob.class);
    private static final long BYTES_PER_PARTITION = 64L << 20;


    /** The manifest of the output, and whether this run found it already complete and left it alone. */
    public record Result(JsonNode manifest, boolean upToDate) {}

    private TokenizeJob() {}

    public static Result run(SparkSession spark, TokenizeConfig given) throws IOException {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Configuration conf = SourceReader.hadoopConf(spark);
        TokenizeConfig cfg = given.qualified(conf);
        List<InputFile> files = InputFiles.expand(cfg.inputs(), conf);
        byte[] tokenizerJson = readFile(cfg.tokenizer(), conf);
        Tokenizer tokenizer = TokenizerJson.parse(new String(tokenizerJson, StandardCharsets.UTF_8));
        if (tokenizer.specialTokens().endOfDocumentId().isEmpty()) {
            throw new IllegalArgumentException(cfg.tokenizer() + ": the tokenizer has no end-of-document token (e.g. <|endoftext|>)");
        }
        String tokenizerSha = TokenizerJson.sha256(tokenizer);
        LOG.info("tokenize: {} input files, {} bytes; checksumming", files.size(), files.stream().mapToLong(InputFile::bytes).sum());
        long t0 = System.nanoTime();
        Map<String, String> checksums = InputFiles.checksums(sc, files);
        LOG.info("tokenize: checksummed the inputs in {} s", seconds(t0));

        ObjectNode request = JsonNodeFactory.instance.objectNode();
        request.set("config", cfg.toJson());
        request.put("tokenizer_sha256", tokenizerSha);
        ArrayNode inputs = request.putArray("inputs");
        for (InputFile f : files) {
            inputs.addObject().put("source", f.source()).put("uri", f.uri()).put("bytes", f.bytes()).put("sha256", checksums.get(f.uri()));
        }
        String requestSha = Manifests.sha256(request);

        AtomicOutput out = new AtomicOutput(cfg.output(), conf);
        JsonNode existing = out.reusable(requestSha, cfg.overwrite());
        if (existing != null) {
            LOG.info("tokenize: {} is complete and was made from the same inputs and settings; nothing to do", out.target());
            return new Result(existing, true);
        }

        out.begin();
        try {
            JsonNode manifest = write(spark, sc, conf, cfg, files, tokenizerJson, tokenizerSha, tokenizer, out, request, requestSha);
            out.commit(manifest);
            LOG.info("tokenize: wrote {}", out.target());
            return new Result(manifest, false);
        } catch (SparkException e) {
            out.abort();
            throw unwrap(e);
        } catch (IOException | RuntimeException e) {
            out.abort();
            throw e;
        }
    }

    private static JsonNode write(SparkSession spark, JavaSparkContext sc, Configuration conf, TokenizeConfig cfg, List<InputFile> files,
                                  byte[] tokenizerJson, String tokenizerSha, Tokenizer tokenizer, AtomicOutput out,
                                  ObjectNode request, String requestSha) throws IOException, SparkException {
        Broadcast<byte[]> tokenizerBroadcast = sc.broadcast(tokenizerJson);
        JavaRDD<Row> raw = SourceReader.read(spark, files, cfg);

        // One pass: each input partition streams its records into one Parquet file and reports what became of them.
        // Hadoop's splits of a file do not depend on the number of cores, so neither do the files. Spark's Parquet
        // reader does split by cores, so Parquet input is shuffled into partitions by document id instead.
        if (cfg.format() == TokenizeConfig.Format.PARQUET) {
            raw = raw.keyBy(r -> DocIds.of(r.getString(0), r.getLong(1)))
                    .repartitionAndSortWithinPartitions(new HashPartitioner(partitions(files)))
                    .values();
        }
        SerializableConfiguration hadoop = new SerializableConfiguration(spark.sparkContext().hadoopConfiguration());
        TokenizePartition tokenize = new TokenizePartition(tokenizerBroadcast, tokenizerSha, cfg.lenient(),
                out.staging(), hadoop, spark.version());
        long t1 = System.nanoTime();
        JavaRDD<Row> records = raw;
        List<TokenizePartition.Fate> fates = Stragglers.awaitOnFailure(sc, "quokka tokenize",
                () -> records.mapPartitions(tokenize).collect()); // one small record a partition
        out.fileSystem().delete(new Path(out.stagingPath(), TokenizePartition.TEMPORARY), true);
        LOG.info("tokenize: tokenized and wrote the documents in {} s", seconds(t1));
        ObjectNode counts = counts(fates, raw.getNumPartitions());
        requireDocuments(counts, files);

        ObjectNode m = JsonNodeFactory.instance.objectNode();
        m.put("format", FORMAT);
        m.put("request_sha256", requestSha);
        m.setAll(request);
        ObjectNode tok = m.putObject("tokenizer");
        tok.put("uri", cfg.tokenizer());
        tok.put("sha256", tokenizerSha);
        tok.put("vocab_size", tokenizer.vocabSize());
        tok.put("end_of_document", tokenizer.specialTokens().endOfDocument());
        m.set("counts", counts);
        ArrayNode outFiles = m.putArray("files");
        long rows = 0;
        for (FileStatus f : out.fileSystem().listStatus(out.stagingPath(), p -> p.getName().endsWith(".parquet"))) {
            outFiles.addObject().put("name", f.getPath().getName()).put("bytes", f.getLen());
            rows += ParquetFooters.rows(f, conf);
        }
        // The files, not the tasks' word for it: every document that had text is in exactly one written file.
        if (rows != counts.get("documents").asLong() || outFiles.size() != fates.size()) {
            throw new IllegalStateException(outFiles.size() + " files of " + rows + " documents were written, but "
                    + fates.size() + " partitions reported " + counts.get("documents") + " documents");
        }
        m.put("code_version", BuildInfo.codeVersion());
        m.put("spark_version", spark.version());
        return m;
    }

    /** Sums the partitions' fates: records = documents + empty + rejected, or the job fails, since nothing may go uncounted. */
    static ObjectNode counts(List<TokenizePartition.Fate> fates, int partitions) {
        if (fates.size() != partitions) throw new IllegalStateException(fates.size() + " of " + partitions + " partitions reported their records");
        long records = 0, documents = 0, tokens = 0, empty = 0, rejected = 0, surrogates = 0;
        Map<String, Long> reasons = new TreeMap<>();
        for (TokenizePartition.Fate f : fates) {
            records += f.records();
            documents += f.documents();
            tokens += f.tokens();
            empty += f.empty();
            rejected += f.rejected();
            surrogates += f.replacedLoneSurrogates();
            f.rejectedByReason().forEach((k, v) -> reasons.merge(k, v, Long::sum));
        }
        if (records != documents + empty + rejected) throw new IllegalStateException("records do not add up: " + records);
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.put("records", records);
        c.put("documents", documents);
        c.put("tokens", tokens);
        c.put("empty", empty);
        c.put("rejected", rejected);
        ObjectNode rr = c.putObject("rejected_by_reason");
        reasons.forEach(rr::put);
        c.put("replaced_lone_surrogates", surrogates);
        return c;
    }

    /** An output without documents is of no use to any consumer: it is an error, and nothing is committed. */
    static void requireDocuments(ObjectNode counts, List<InputFile> files) {
        if (counts.get("documents").asLong() > 0) return;
        if (counts.get("records").asLong() == 0) {
            String listed = String.join(", ", files.stream().limit(5).map(f -> f.source() + " (" + f.bytes() + " bytes)").toList());
            throw new IllegalArgumentException("the input holds no records: " + listed + (files.size() > 5 ? " and " + (files.size() - 5) + " more" : ""));
        }
        throw new IllegalArgumentException("no documents: the input's " + counts.get("records") + " records were " + counts.get("empty")
                + " empty and " + counts.get("rejected") + " rejected " + counts.get("rejected_by_reason") + "; see _rejected/ with --lenient");
    }

    /**
     * Makes the next job in this JVM parse its tokenizer afresh, with empty word caches, as a new executor would.
     * In local mode the executors are this JVM, so benchmarks use this to time a cold job.
     */
    public static void forgetTokenizers() {
        ExecutorTokenizers.clear();
    }

    /** From the input size alone (compressed files count four times), never from the cluster's parallelism. */
    static int partitions(List<InputFile> files) {
        long bytes = 0;
        for (InputFile f : files) {
            boolean compressed = f.uri().endsWith(".gz") || f.uri().endsWith(".bz2") || f.uri().endsWith(".zst");
            bytes += compressed ? f.bytes() * 4 : f.bytes();
        }
        return Partitions.perUnits(bytes, BYTES_PER_PARTITION);
    }

    static byte[] readFile(String uri, Configuration conf) throws IOException {
        Path p = new Path(uri);
        try (InputStream in = p.getFileSystem(conf).open(p)) {
            return in.readAllBytes();
        } catch (java.io.FileNotFoundException e) {
            throw new IllegalArgumentException(uri + ": no such file");
        }
    }

    private static String seconds(long since) {
        return String.format("%.1f", (System.nanoTime() - since) / 1e9);
    }

    /** The bad record behind a failed Spark job, as a plain error that names it. */
    static RuntimeException unwrap(SparkException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BadRecordException bad) return new BadRecordException(bad.getMessage());
        }
        return new RuntimeException(e);
    }
}
