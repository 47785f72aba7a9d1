package dev.quokka.dataprep.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quokka.dataprep.format.DocIds;
import dev.quokka.dataprep.format.Schemas;
import dev.quokka.dataprep.provenance.AtomicOutput;
import dev.quokka.dataprep.provenance.DocsManifest;
import dev.quokka.dataprep.provenance.FileEntry;
import dev.quokka.dataprep.provenance.InputFiles.InputFile;
import dev.quokka.dataprep.provenance.InputFiles;
import dev.quokka.dataprep.provenance.ManifestJson;
import dev.quokka.dataprep.provenance.ParquetFooters;
import dev.quokka.dataprep.spark.Partitions;
import dev.quokka.dataprep.spark.SerializableConfiguration;
import dev.quokka.dataprep.spark.Stragglers;
import dev.quokka.tokenizer.Tokenizer;
import dev.quokka.tokenizer.TokenizerJson;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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
    public record Result(DocsManifest manifest, boolean upToDate) {
        /** The manifest as written. */
        public JsonNode json() {
            return ManifestJson.tree(manifest);
        }
    }

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

        List<DocsManifest.Input> inputs = files.stream()
                .map(f -> new DocsManifest.Input(f.source(), f.uri(), f.bytes(), checksums.get(f.uri()))).toList();
        DocsManifest.Request request = new DocsManifest.Request(cfg.toJson(), tokenizerSha, inputs);
        String requestSha = request.sha256();

        AtomicOutput out = new AtomicOutput(cfg.output(), conf);
        JsonNode existing = out.reusable(requestSha, cfg.overwrite());
        if (existing != null) {
            LOG.info("tokenize: {} is complete and was made from the same inputs and settings; nothing to do", out.target());
            return new Result(ManifestJson.read(existing, DocsManifest.class), true);
        }

        out.begin();
        try {
            DocsManifest manifest = write(spark, sc, conf, cfg, files, tokenizerJson, tokenizerSha, tokenizer, out, request);
            out.commit(ManifestJson.tree(manifest));
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

    private static DocsManifest write(SparkSession spark, JavaSparkContext sc, Configuration conf, TokenizeConfig cfg, List<InputFile> files,
                                      byte[] tokenizerJson, String tokenizerSha, Tokenizer tokenizer, AtomicOutput out,
                                      DocsManifest.Request request) throws IOException, SparkException {
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
        DocsManifest.Counts counts = counts(fates, raw.getNumPartitions());
        requireDocuments(counts, files);

        List<FileEntry> outFiles = new ArrayList<>();
        long rows = 0;
        for (FileStatus f : out.fileSystem().listStatus(out.stagingPath(), p -> p.getName().endsWith(".parquet"))) {
            outFiles.add(new FileEntry(f.getPath().getName(), f.getLen()));
            rows += ParquetFooters.rows(f, conf);
        }
        // The files, not the tasks' word for it: every document that had text is in exactly one written file.
        if (rows != counts.documents() || outFiles.size() != fates.size()) {
            throw new IllegalStateException(outFiles.size() + " files of " + rows + " documents were written, but "
                    + fates.size() + " partitions reported " + counts.documents() + " documents");
        }
        DocsManifest.Tokenizer tok = new DocsManifest.Tokenizer(cfg.tokenizer(), tokenizerSha, tokenizer.vocabSize(),
                tokenizer.specialTokens().endOfDocument());
        return DocsManifest.of(FORMAT, request, tok, counts, outFiles, spark.version());
    }

    /** Sums the partitions' fates: records = documents + empty + rejected, or the job fails, since nothing may go uncounted. */
    static DocsManifest.Counts counts(List<TokenizePartition.Fate> fates, int partitions) {
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
        return new DocsManifest.Counts(records, documents, tokens, empty, rejected, reasons, surrogates);
    }

    /** An output without documents is of no use to any consumer: it is an error, and nothing is committed. */
    static void requireDocuments(DocsManifest.Counts counts, List<InputFile> files) {
        if (counts.documents() > 0) return;
        if (counts.records() == 0) {
            String listed = String.join(", ", files.stream().limit(5).map(f -> f.source() + " (" + f.bytes() + " bytes)").toList());
            throw new IllegalArgumentException("the input holds no records: " + listed + (files.size() > 5 ? " and " + (files.size() - 5) + " more" : ""));
        }
        throw new IllegalArgumentException("no documents: the input's " + counts.records() + " records were " + counts.empty()
                + " empty and " + counts.rejected() + " rejected " + ManifestJson.tree(counts).get("rejected_by_reason")
                + "; see _rejected/ with --lenient");
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
