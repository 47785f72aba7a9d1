package dev.quokka.dataprep.shard;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quokka.dataprep.format.DocIds;
import dev.quokka.dataprep.format.Multiset;
import dev.quokka.dataprep.format.Permutations;
import dev.quokka.dataprep.format.Schemas;
import dev.quokka.dataprep.format.StudyFormat;
import dev.quokka.dataprep.provenance.AtomicOutput;
import dev.quokka.dataprep.provenance.BuildInfo;
import dev.quokka.dataprep.provenance.DocsManifest;
import dev.quokka.dataprep.provenance.FileEntry;
import dev.quokka.dataprep.provenance.ManifestJson;
import dev.quokka.dataprep.provenance.Manifests;
import dev.quokka.dataprep.provenance.StudyManifest;
import dev.quokka.dataprep.spark.JavaSparkContexts;
import dev.quokka.dataprep.spark.Partitions;
import dev.quokka.dataprep.spark.PrefixSums;
import dev.quokka.dataprep.spark.SerializableConfiguration;
import dev.quokka.dataprep.study.StudyReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * {@code quokka shard}: from tokenized documents to a study of exactly U unique tokens seen over e epochs.
 *
 * <ul>
 *   <li>Validation: documents whose id hashes (under a fixed salt, not the seed) below a fraction, or the first
 *       documents in that hash order up to a token count. The same for every U and seed of a study.
 *   <li>Unique subset: the other documents in the order of their id hashed with the seed, up to exactly U tokens;
 *       the last document is truncated. For one seed, a smaller U is a prefix of a larger one.
 *   <li>Epochs: an index, one seeded permutation of the unique documents per epoch. The tokens are stored once.
 *       The training stream is the epochs' documents end to end; sequences are windows of L+1 tokens at stride L,
 *       belong to the epoch they start in, and are shuffled within it (see {@link StudyReader}).
 * </ul>
 */
public final class ShardJob {
    private static final Logger LOG = LoggerFactory.getLogger(ShardJob.class);
    private static final long TOKENS_PER_FILE = 16L << 20;
    private static final long INDEX_INTS_PER_FILE = 16L << 20;

    public record Result(StudyManifest manifest, boolean upToDate) {
        /** The manifest as written. */
        public JsonNode json() {
            return ManifestJson.tree(manifest);
        }
    }

    private ShardJob() {}

    public static Result run(SparkSession spark, StudyConfig given) throws IOException {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        StudyConfig cfg = given.qualified(conf);
        Path docsDir = new Path(cfg.docs());
        FileSystem docsFs = docsDir.getFileSystem(conf);
        if (!AtomicOutput.isComplete(docsFs, docsDir)) {
            throw new IllegalArgumentException(cfg.docs() + " is not a complete `quokka tokenize` output (no _SUCCESS and _manifest.json)");
        }
        // The request hashes the docs' manifest as it is on disk, fields this reader does not know included.
        JsonNode docsJson = AtomicOutput.readManifest(docsFs, docsDir);
        StudyManifest.Request request = new StudyManifest.Request(cfg.toJson(), Manifests.sha256(docsJson));
        String requestSha = request.sha256();

        AtomicOutput out = new AtomicOutput(cfg.output(), conf);
        JsonNode existing = out.reusable(requestSha, cfg.overwrite());
        if (existing != null) {
            LOG.info("shard: {} is complete and was made with the same settings; nothing to do", out.target());
            return new Result(ManifestJson.read(existing, StudyManifest.class), true);
        }
        out.begin();
        try {
            StudyManifest manifest = build(spark, cfg, ManifestJson.read(docsJson, DocsManifest.class), out).withRequest(requestSha, request);
            out.commit(ManifestJson.tree(manifest));
            LOG.info("shard: wrote {}", out.target());
            return new Result(manifest, false);
        } catch (IOException | RuntimeException e) {
            out.abort();
            throw e;
        }
    }

    /** The stages, each a Dataset-to-Dataset step or a write that returns its typed statistics for the manifest. */
    private static StudyManifest build(SparkSession spark, StudyConfig cfg, DocsManifest docs, AtomicOutput out) throws IOException {
        int partitions = Partitions.clamp(docs.counts().tokens() / TOKENS_PER_FILE + 1);
        Dataset<Row> marked = markValidation(spark, cfg, keyed(spark, cfg), partitions).persist(StorageLevel.DISK_ONLY());
        try {
            Dataset<Row> validationDocs = marked.filter(col("is_val")).select("doc_id", "n_tokens", "tokens");
            Dataset<Row> trainDocs = marked.filter(col("is_val").equalTo(false)).select("doc_id", "n_tokens", "tokens", "order_key");
            StudyManifest.Validation validation = writeValidation(spark, cfg, validationDocs, out);
            requireUniqueTokens(cfg, trainDocs, validation);
            StudyManifest.Unique unique = writeUnique(spark, cfg, trainDocs, partitions, out);
            if (unique.documents() > Integer.MAX_VALUE) throw new IllegalArgumentException("more than 2^31 unique documents");
            StudyManifest.Disjoint disjoint = checkDisjoint(spark, out);
            Epochs epochs = writeIndex(JavaSparkContexts.of(spark), cfg, unique, out);
            StudyManifest m = new StudyManifest(StudyFormat.FORMAT, docs.tokenizer(), docs.inputs(), validation, unique, disjoint,
                    epochs.stream(), epochs.index(), epochs.epochs(), null, BuildInfo.codeVersion(), spark.version(), null, null, null);
            return cfg.materialize() ? m.withMaterialized(materialize(spark, out, m)) : m;
        } finally {
            marked.unpersist();
        }
    }

    /** Every document with its two hashes: validation (a fixed salt) and order (the seed). */
    private static Dataset<Row> keyed(SparkSession spark, StudyConfig cfg) {
        long seed = cfg.seed();
        StructType keyed = Schemas.DOCS.add("val_key", DataTypes.LongType, false).add("order_key", DataTypes.LongType, false);
        return spark.createDataFrame(spark.read().parquet(cfg.docs()).select("doc_id", "source", "position", "n_tokens", "tokens")
                .javaRDD().map(r -> RowFactory.create(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4),
                        DocIds.mix(r.getLong(0), StudyFormat.VALIDATION_SALT), DocIds.mix(r.getLong(0), seed))), keyed);
    }

    /** Adds {@code is_val}: the first documents in validation-hash order up to a token count, or a hash below a fraction. */
    private static Dataset<Row> markValidation(SparkSession spark, StudyConfig cfg, Dataset<Row> docs, int partitions) {
        if (cfg.valTokens() > 0) {
            return PrefixSums.withRankAndStart(spark, docs, "val_key", "doc_id", "n_tokens", partitions)
                    .withColumn("is_val", col("start").lt(cfg.valTokens())).drop("rank", "start");
        }
        long threshold = (long) (cfg.valFraction() * (1L << 53));
        return docs.withColumn("is_val", functions.shiftRightUnsigned(col("val_key"), 11).lt(threshold));
    }

    private static StudyManifest.Validation writeValidation(SparkSession spark, StudyConfig cfg, Dataset<Row> validation, AtomicOutput out)
            throws IOException {
        Row valTotal = validation.agg(functions.sum(col("n_tokens"))).first();
        long valTokens = valTotal.isNullAt(0) ? 0 : valTotal.getLong(0);
        if (valTokens < cfg.seqLen() + 1L) {
            throw new IllegalArgumentException("the validation set would hold " + valTokens + " tokens, fewer than one sequence of --seq-len + 1 = "
                    + (cfg.seqLen() + 1L) + "; raise --val-fraction or --val-tokens, or lower --seq-len");
        }
        int valFiles = (int) Math.max(1, valTokens / TOKENS_PER_FILE + 1);
        withChecksum(spark, validation).repartition(valFiles, col("doc_id")).sortWithinPartitions("doc_id")
                .write().option("compression", "zstd").parquet(out.staging() + "/validation");
        out.normalizePartFiles("validation");
        Written w = written(spark, out.staging() + "/validation");
        return new StudyManifest.Validation(cfg.valTokens() > 0 ? "first documents in hash order up to a token count" : "hash below a fraction",
                StudyFormat.VALIDATION_SALT, w.documents(), w.tokens(), Multiset.hex(w.checksum()), files(out, "validation"));
    }

    private static void requireUniqueTokens(StudyConfig cfg, Dataset<Row> train, StudyManifest.Validation validation) {
        Row trainTotal = train.agg(functions.sum(col("n_tokens"))).first();
        long available = trainTotal.isNullAt(0) ? 0 : trainTotal.getLong(0);
        if (available < cfg.uniqueTokens()) {
            throw new IllegalArgumentException("--unique-tokens " + cfg.uniqueTokens() + " is more than the " + available
                    + " training tokens in " + cfg.docs() + " (after holding out " + validation.tokens() + " validation tokens)");
        }
    }

    /** The first U tokens in seeded order, stored once, in files of contiguous offsets. */
    private static StudyManifest.Unique writeUnique(SparkSession spark, StudyConfig cfg, Dataset<Row> train, int partitions,
                                                    AtomicOutput out) throws IOException {
        long U = cfg.uniqueTokens();
        Dataset<Row> ranked = PrefixSums.withRankAndStart(spark, train, "order_key", "doc_id", "n_tokens", partitions)
                .filter(col("start").lt(U));
        int files = Partitions.perUnits(U, TOKENS_PER_FILE);
        JavaRDD<Row> unique = ranked.javaRDD().mapToPair(r -> {
            long start = r.getLong(r.fieldIndex("start"));
            List<Integer> all = r.getList(r.fieldIndex("tokens"));
            int take = (int) Math.min(all.size(), U - start);
            int[] tokens = new int[take];
            for (int i = 0; i < take; i++) tokens[i] = all.get(i);
            Row row = RowFactory.create((int) r.getLong(r.fieldIndex("rank")), r.getLong(r.fieldIndex("doc_id")), start,
                    take, tokens, Multiset.of(tokens), all.size());
            return new Tuple2<>((int) (start * files / U), row);
        }).partitionBy(new HashPartitioner(files)).values();
        StructType schema = new StructType().add("rank", DataTypes.IntegerType, false).add("doc_id", DataTypes.LongType, false)
                .add("offset", DataTypes.LongType, false).add("n_tokens", DataTypes.IntegerType, false)
                .add("tokens", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
                .add("checksum", DataTypes.LongType, false).add("source_tokens", DataTypes.IntegerType, false);
        spark.createDataFrame(unique, schema).sortWithinPartitions("rank")
                .write().option("compression", "zstd").parquet(out.staging() + "/unique");
        out.normalizePartFiles("unique");

        Dataset<Row> written = spark.read().parquet(out.staging() + "/unique");
        Row totals = written.agg(functions.count(col("rank")), functions.sum(col("n_tokens")), functions.max(col("rank"))).first();
        long checksum = written.select("checksum").javaRDD().map(r -> r.getLong(0)).fold(0L, Long::sum);
        if (totals.getLong(1) != U || totals.getLong(0) != totals.getInt(2) + 1L) {
            throw new IllegalStateException("unique subset holds " + totals.getLong(1) + " tokens in " + totals.getLong(0) + " documents; expected " + U);
        }
        Row last = written.filter(col("rank").equalTo(totals.getInt(2))).select("doc_id", "n_tokens", "source_tokens").first();
        return new StudyManifest.Unique(totals.getLong(0), U, Multiset.hex(checksum),
                new StudyManifest.LastDocument(last.getLong(0), last.getInt(1), last.getInt(2)), files(out, "unique"));
    }

    /** No validation document may be in the training subset; the manifest records the count checked. */
    private static StudyManifest.Disjoint checkDisjoint(SparkSession spark, AtomicOutput out) {
        long leaked = spark.read().parquet(out.staging() + "/unique").select("doc_id")
                .join(spark.read().parquet(out.staging() + "/validation").select("doc_id"), "doc_id").count();
        if (leaked != 0) throw new IllegalStateException(leaked + " validation documents in the training subset");
        return new StudyManifest.Disjoint(leaked);
    }

    /** What the index stage returns: the stream's accounting, the index files and every epoch's share of the stream. */
    private record Epochs(StudyManifest.Stream stream, StudyManifest.Index index, List<StudyManifest.Epoch> epochs) {}

    /** One permutation of the unique documents per epoch, and the accounting of the stream they make. */
    private static Epochs writeIndex(JavaSparkContext sc, StudyConfig cfg, StudyManifest.Unique unique, AtomicOutput out) throws IOException {
        long U = cfg.uniqueTokens();
        int n = (int) unique.documents();
        int L = cfg.seqLen();
        long D = cfg.totalTokens();
        int epochs = (int) ((D + U - 1) / U);
        long seed = cfg.seed();
        int perFile = (int) Math.max(1, INDEX_INTS_PER_FILE / Math.max(1, n));
        int files = (epochs + perFile - 1) / perFile;
        List<Integer> ks = new ArrayList<>();
        for (int k = 0; k < epochs; k++) ks.add(k);
        JavaRDD<Row> index = sc.parallelize(ks, Math.max(1, Math.min(epochs, 256))).mapToPair(k -> {
            int[] order = Permutations.documents(seed, k, n);
            if (!Permutations.isPermutation(order)) throw new IllegalStateException("epoch " + k + " order is not a permutation");
            return new Tuple2<>(k / perFile, RowFactory.create(k, order));
        }).partitionBy(new HashPartitioner(files)).values();
        StructType schema = new StructType().add("epoch", DataTypes.IntegerType, false)
                .add("order", DataTypes.createArrayType(DataTypes.IntegerType, false), false);
        SparkSession.active().createDataFrame(index, schema).sortWithinPartitions("epoch")
                .write().option("compression", "zstd").parquet(out.staging() + "/index");
        out.normalizePartFiles("index");

        long sequences = (D - 1) / L;
        List<StudyManifest.Epoch> perEpoch = new ArrayList<>();
        for (int k = 0; k < epochs; k++) {
            long tokens = Math.min(U, D - (long) k * U);
            long first = ceilDiv((long) k * U, L);
            long end = Math.min(sequences, ceilDiv((long) (k + 1) * U, L));
            // A full epoch is a permutation of the unique documents (checked as the index was written), so it holds
            // exactly their multiset; a partial last epoch is summed from its documents.
            String checksum = tokens == U ? unique.checksum() : Multiset.hex(partialEpochChecksum(out.staging(), seed, k, n, tokens));
            perEpoch.add(new StudyManifest.Epoch(k, tokens, first, Math.max(0, end - first), checksum));
        }
        return new Epochs(new StudyManifest.Stream(D, L, L + 1, sequences, D - sequences * L),
                new StudyManifest.Index(Permutations.ALGORITHM, seed, epochs, files(out, "index")), perEpoch);
    }

    /**
     * Writes every sequence, in training order, under {@code sequences/epoch=k/}. The executors read the study they
     * are writing through {@link StudyReader}, given the manifest so far, so both forms give the same stream by
     * construction (and a test checks).
     */
    private static StudyManifest.Materialized materialize(SparkSession spark, AtomicOutput out, StudyManifest m) throws IOException {
        int epochs = m.epochs().size();
        SerializableConfiguration conf = new SerializableConfiguration(spark.sparkContext().hadoopConfiguration());
        String staging = out.staging();
        List<Integer> ks = new ArrayList<>();
        for (int k = 0; k < epochs; k++) ks.add(k);
        JavaRDD<Row> rows = JavaSparkContexts.of(spark).parallelize(ks, Math.max(1, Math.min(epochs, 64))).mapPartitions(it -> {
            StudyReader reader = StudyReader.open(new Path(staging), m, conf.get());
            List<Integer> mine = new ArrayList<>();
            it.forEachRemaining(mine::add);
            return mine.stream().flatMap(k -> {
                long first = reader.firstSequence(k);
                return java.util.stream.LongStream.range(first, first + reader.sequencesIn(k)).mapToObj(j -> {
                    int[] t = new int[reader.window()];
                    reader.read(j, t);
                    return RowFactory.create(k, j, t);
                });
            }).iterator();
        });
        StructType schema = new StructType().add("epoch", DataTypes.IntegerType, false).add("sequence", DataTypes.LongType, false)
                .add("tokens", DataTypes.createArrayType(DataTypes.IntegerType, false), false);
        spark.createDataFrame(rows, schema).write().partitionBy("epoch").option("compression", "zstd")
                .parquet(staging + "/" + StudyFormat.SEQUENCES_DIR);
        out.normalizePartFiles(StudyFormat.SEQUENCES_DIR);
        List<FileEntry> files = new ArrayList<>();
        for (int k = 0; k < epochs; k++) {
            String sub = StudyFormat.SEQUENCES_DIR + "/epoch=" + k;
            out.normalizePartFiles(sub);
            files.addAll(files(out, sub));
        }
        return new StudyManifest.Materialized(files);
    }

    /** The multiset checksum of the first {@code tokens} tokens of epoch k's document order. */
    public static long partialEpochChecksum(String study, long seed, int k, int n, long tokens) {
        SparkSession spark = SparkSession.active();
        int[] order = Permutations.documents(seed, k, n);
        int[] position = new int[n];
        for (int i = 0; i < n; i++) position[order[i]] = i;
        // position[] is per document, like the index row itself; it goes to the executors as a broadcast.
        var pos = JavaSparkContexts.of(spark).broadcast(position);
        Dataset<Row> unique = spark.read().parquet(study + "/unique").select("rank", "n_tokens", "tokens");
        StructType schema = new StructType().add("pos", DataTypes.IntegerType, false).add("n_tokens", DataTypes.IntegerType, false)
                .add("tokens", DataTypes.createArrayType(DataTypes.IntegerType, false), false);
        Dataset<Row> inEpoch = spark.createDataFrame(unique.javaRDD().map(r ->
                RowFactory.create(pos.value()[r.getInt(0)], r.getInt(1), r.getList(2).toArray())), schema);
        Dataset<Row> prefix = PrefixSums.withRankAndStart(spark, inEpoch, "pos", "pos", "n_tokens", 8).filter(col("start").lt(tokens));
        return prefix.javaRDD().map(r -> {
            List<Integer> t = r.getList(r.fieldIndex("tokens"));
            return Multiset.of(t, Math.min(t.size(), tokens - r.getLong(r.fieldIndex("start"))));
        }).fold(0L, Long::sum);
    }

    /** Adds each row's multiset checksum, so that verify can say which document is damaged. */
    private static Dataset<Row> withChecksum(SparkSession spark, Dataset<Row> docs) {
        StructType schema = docs.schema().add("checksum", DataTypes.LongType, false);
        int t = docs.schema().fieldIndex("tokens");
        int width = docs.schema().size();
        return spark.createDataFrame(docs.javaRDD().map(r -> {
            Object[] v = new Object[width + 1];
            for (int c = 0; c < width; c++) v[c] = r.get(c);
            v[width] = Multiset.of(r.getList(t), r.getList(t).size());
            return RowFactory.create(v);
        }), schema);
    }

    /** Documents, tokens and the summed row checksums of written documents. */
    private record Written(long documents, long tokens, long checksum) {}

    /** Reads columns only, no token arrays. */
    private static Written written(SparkSession spark, String dir) {
        Dataset<Row> docs = spark.read().parquet(dir).select("n_tokens", "checksum");
        Row totals = docs.agg(functions.count(col("n_tokens")), functions.sum(col("n_tokens"))).first();
        long checksum = docs.javaRDD().map(r -> r.getLong(1)).fold(0L, Long::sum); // wraps mod 2^64, unlike SQL sum
        return new Written(totals.getLong(0), totals.isNullAt(1) ? 0 : totals.getLong(1), checksum);
    }

    static List<FileEntry> files(AtomicOutput out, String subdir) throws IOException {
        List<FileEntry> files = new ArrayList<>();
        Path where = new Path(out.stagingPath(), subdir);
        if (!out.fileSystem().exists(where)) return files;
        FileStatus[] list = out.fileSystem().listStatus(where, p -> p.getName().endsWith(".parquet"));
        Arrays.sort(list);
        for (FileStatus f : list) files.add(new FileEntry(subdir + "/" + f.getPath().getName(), f.getLen()));
        return files;
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
