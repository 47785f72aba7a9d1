package dev.quokka.dataprep.export;

import static org.apache.spark.sql.functions.col;

import dev.quokka.dataprep.format.Multiset;
import dev.quokka.dataprep.provenance.AtomicOutput;
import dev.quokka.dataprep.provenance.BuildInfo;
import dev.quokka.dataprep.provenance.ExportManifest;
import dev.quokka.dataprep.provenance.ManifestJson;
import dev.quokka.dataprep.provenance.InputFiles;
import dev.quokka.dataprep.provenance.StudyManifest;
import dev.quokka.dataprep.spark.SerializableConfiguration;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.IOUtils;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code quokka export megatron}: a study as Megatron-LM indexed datasets ({@link MegatronIndexed}), for training it
 * on GPUs with Megatron-LM or MegaDLMs. {@code train.bin/.idx} hold the unique subset, one Megatron document per
 * study document in the study's seeded order (the last one cut where U ends, as in the study); {@code valid.bin/.idx}
 * the validation set in doc_id order. End-of-document tokens are kept.
 *
 * <p>The executors write each range of documents as a part of the data file and of the lengths; the driver then
 * joins the parts in order into the two files, streaming bytes and never holding documents, and checks the counts
 * against the study's manifest before the output is committed.
 */
public final class MegatronExportJob {
    public static final String FORMAT = "quokka.export.megatron/1";
    /** Tokens per part: enough to keep a task busy, few enough that a large study spreads over the executors. */
    static final long TOKENS_PER_PART = 8_000_000;

    /**
     * @param dtype         auto (Megatron's choice for the vocabulary), uint16 or int32
     * @param stream        also write stream.bin/.idx: every training sequence of the study, in its training order
     * @param tokensPerPart about this many tokens per executor part
     */
    public record Config(String study, String output, String dtype, boolean stream, long tokensPerPart) {
        public Config(String study, String output, String dtype, boolean stream) {
            this(study, output, dtype, stream, TOKENS_PER_PART);
        }
    }

    public record Result(String output, ExportManifest manifest) {}

    private MegatronExportJob() {}

    public static Result run(SparkSession spark, Config cfg) throws IOException {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Path studyPath = new Path(cfg.study());
        FileSystem sfs = studyPath.getFileSystem(conf);
        if (!AtomicOutput.isComplete(sfs, studyPath)) throw new IllegalArgumentException("--study " + cfg.study() + " is not a complete study (no _SUCCESS)");
        StudyManifest study = StudyManifest.read(sfs, studyPath);
        MegatronIndexed.DType dtype = switch (cfg.dtype()) {
            case "auto" -> MegatronIndexed.DType.forVocabulary(study.tokenizer().vocabSize());
            case "uint16" -> MegatronIndexed.DType.UINT16;
            case "int32" -> MegatronIndexed.DType.INT32;
            default -> throw new IllegalArgumentException("--dtype must be auto, uint16 or int32, not " + cfg.dtype());
        };
        if (dtype == MegatronIndexed.DType.UINT16 && study.tokenizer().vocabSize() > 0x10000) {
            throw new IllegalArgumentException("--dtype uint16 cannot hold the ids of a " + study.tokenizer().vocabSize() + "-token vocabulary");
        }
        AtomicOutput out = new AtomicOutput(cfg.output(), conf);
        out.begin();
        try {
            ExportManifest.Split train = split(spark, out, "train", studyPath + "/unique", "rank", dtype, cfg.tokensPerPart(), conf);
            check(train, study.unique().documents(), study.unique().tokens(), study.unique().checksum());
            ExportManifest.Split valid = split(spark, out, "valid", studyPath + "/validation", "doc_id", dtype, cfg.tokensPerPart(), conf);
            check(valid, study.validation().documents(), study.validation().tokens(), study.validation().checksum());
            List<ExportManifest.Split> splits = new java.util.ArrayList<>(List.of(train, valid));
            if (cfg.stream()) {
                ExportManifest.Split stream = stream(spark, out, studyPath.toString(), study, dtype, cfg.tokensPerPart(), conf);
                check(stream, study.stream().sequences(), study.stream().sequences() * study.stream().window(), null);
                splits.add(stream);
            }
            ExportManifest m = new ExportManifest(FORMAT, sfs.makeQualified(studyPath).toString(), InputFiles.sha256(new Path(studyPath, AtomicOutput.MANIFEST).toString(), conf),
                    study.unique().tokens(), study.index().epochs(), study.index().seed(), study.stream().seqLen(), study.tokenizer(),
                    dtype.name().toLowerCase(), splits, BuildInfo.codeVersion(), spark.version());
            out.commit(ManifestJson.tree(m));
            return new Result(out.target(), m);
        } catch (RuntimeException | IOException e) {
            out.abort();
            throw e;
        }
    }

    /** The split against the study's manifest: its documents, its tokens and, where the study has one, their multiset checksum. */
    private static void check(ExportManifest.Split s, long documents, long tokens, String checksum) {
        if (s.documents() != documents || s.tokens() != tokens || (checksum != null && !checksum.equals(s.multisetChecksum()))) {
            throw new IllegalStateException(s.name() + ": wrote " + s.documents() + " documents and " + s.tokens() + " tokens (multiset " + s.multisetChecksum()
                    + "), but the study's manifest says " + documents + " and " + tokens + (checksum == null ? "" : " (multiset " + checksum + ")"));
        }
    }

    /** One split: parts on the executors, then NAME.bin and NAME.idx joined from them on the driver. */
    private static ExportManifest.Split split(SparkSession spark, AtomicOutput out, String name, String documents, String key,
                                              MegatronIndexed.DType dtype, long tokensPerPart, Configuration conf) throws IOException {
        Dataset<Row> docs = spark.read().parquet(documents).select(col(key), col("tokens"));
        long tokens = docs.selectExpr("coalesce(sum(size(tokens)), 0)").first().getLong(0);
        int parts = (int) Math.max(1, Math.min(10_000, tokens / tokensPerPart + 1));
        Path partDir = new Path(out.stagingPath(), "_parts/" + name);
        String partPath = partDir.toString();
        SerializableConfiguration hadoop = new SerializableConfiguration(conf);
        // Range partitions come in key order, each sorted within itself: part i holds the i-th range of documents.
        docs.repartitionByRange(parts, col(key)).sortWithinPartitions(key).foreachPartition((ForeachPartitionFunction<Row>) rows -> {
            String part = String.format("%s/%05d", partPath, TaskContext.getPartitionId());
            Path bin = new Path(part + ".bin"), lengths = new Path(part + ".len");
            FileSystem fs = bin.getFileSystem(hadoop.get());
            long multiset = 0;
            try (OutputStream b = fs.create(bin, true); OutputStream l = fs.create(lengths, true)) {
                ByteBuffer len = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
                while (rows.hasNext()) {
                    Row r = rows.next();
                    List<Integer> t = r.getList(1);
                    int[] ids = t.stream().mapToInt(Integer::intValue).toArray();
                    ByteBuffer data = ByteBuffer.allocate(ids.length * dtype.bytes);
                    dtype.put(ids, data, name + " document " + r.get(0));
                    b.write(data.array());
                    len.clear();
                    l.write(len.putInt(ids.length).array());
                    multiset += Multiset.of(ids);
                }
            }
            writeSum(fs, new Path(part + ".sum"), multiset);
        });
        return merge(out, name, partDir, parts, dtype);
    }

    /**
     * stream.bin/.idx: training-order sequences 0, 1, ... of the study, each its L + 1 tokens (windows overlap by one
     * token, as the trainer reads them), one Megatron document per sequence. Each task reads a range of sequences
     * through the study's own reader, the one training uses.
     */
    private static ExportManifest.Split stream(SparkSession spark, AtomicOutput out, String study, StudyManifest m, MegatronIndexed.DType dtype,
                                               long tokensPerPart, Configuration conf) throws IOException {
        long sequences = m.stream().sequences();
        int window = m.stream().window();
        long perPart = Math.max(1, tokensPerPart / window);
        int parts = (int) Math.max(1, (sequences + perPart - 1) / perPart);
        if (parts > 100_000) throw new IllegalArgumentException("the stream has " + sequences + " sequences: too many parts of " + perPart);
        Path partDir = new Path(out.stagingPath(), "_parts/stream");
        String partPath = partDir.toString();
        SerializableConfiguration hadoop = new SerializableConfiguration(conf);
        List<Integer> indices = java.util.stream.IntStream.range(0, parts).boxed().toList();
        org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(indices, parts).foreach(p -> {
            dev.quokka.dataprep.study.StudyReader reader = dev.quokka.dataprep.study.StudyReader.open(study, hadoop.get());
            Path bin = new Path(String.format("%s/%05d.bin", partPath, p)), lengths = new Path(String.format("%s/%05d.len", partPath, p));
            FileSystem fs = bin.getFileSystem(hadoop.get());
            int[] tokens = new int[window];
            long multiset = 0;
            try (OutputStream b = fs.create(bin, true); OutputStream l = fs.create(lengths, true)) {
                ByteBuffer len = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
                for (long j = p * perPart; j < Math.min(sequences, (p + 1) * perPart); j++) {
                    reader.read(j, tokens);
                    ByteBuffer data = ByteBuffer.allocate(window * dtype.bytes);
                    dtype.put(tokens, data, "stream sequence " + j);
                    b.write(data.array());
                    len.clear();
                    l.write(len.putInt(window).array());
                    multiset += Multiset.of(tokens);
                }
            }
            writeSum(fs, new Path(String.format("%s/%05d.sum", partPath, p)), multiset);
        });
        return merge(out, "stream", partDir, parts, dtype);
    }

    /** NAME.bin and NAME.idx, joined in order from the parts 00000 ... of {@code partDir}, which is then removed. */
    private static ExportManifest.Split merge(AtomicOutput out, String name, Path partDir, int parts, MegatronIndexed.DType dtype) throws IOException {
        FileSystem fs = out.fileSystem();
        for (int p = 0; p < parts; p++) {
            if (!fs.exists(new Path(partDir, String.format("%05d.len", p)))) throw new IllegalStateException(name + ": part " + p + " of " + parts + " was not written");
        }
        long sequences = 0;
        for (int p = 0; p < parts; p++) sequences += fs.getFileStatus(new Path(partDir, String.format("%05d.len", p))).getLen() / 4;

        MessageDigest binSha = sha256(), idxSha = sha256();
        long binBytes = 0;
        try (OutputStream b = new DigestOutputStream(fs.create(new Path(out.stagingPath(), name + ".bin"), false), binSha)) {
            for (int p = 0; p < parts; p++) {
                Path part = new Path(partDir, String.format("%05d.bin", p));
                binBytes += fs.getFileStatus(part).getLen();
                try (InputStream in = fs.open(part)) {
                    IOUtils.copyBytes(in, b, 1 << 16, false);
                }
            }
        }
        long multiset = 0; // sums of 64-bit mixes wrap, as the study's own checksums do
        for (int p = 0; p < parts; p++) {
            try (java.io.DataInputStream in = new java.io.DataInputStream(fs.open(new Path(partDir, String.format("%05d.sum", p))))) {
                multiset += in.readLong();
            }
        }
        long written;
        try (OutputStream x = new DigestOutputStream(fs.create(new Path(out.stagingPath(), name + ".idx"), false), idxSha)) {
            x.write(MegatronIndexed.indexHeader(dtype, sequences));
            for (int p = 0; p < parts; p++) { // the lengths, as the executors wrote them
                try (InputStream in = fs.open(new Path(partDir, String.format("%05d.len", p)))) {
                    IOUtils.copyBytes(in, x, 1 << 16, false);
                }
            }
            ByteBuffer buf = ByteBuffer.allocate(8 << 12).order(ByteOrder.LITTLE_ENDIAN);
            long pointer = 0;
            for (int p = 0; p < parts; p++) { // the pointers: each sequence's byte offset
                try (InputStream in = fs.open(new Path(partDir, String.format("%05d.len", p)))) {
                    byte[] four = new byte[4];
                    while (in.readNBytes(four, 0, 4) == 4) {
                        buf.putLong(pointer);
                        pointer += (long) ByteBuffer.wrap(four).order(ByteOrder.LITTLE_ENDIAN).getInt() * dtype.bytes;
                        if (!buf.hasRemaining()) flush(buf, x);
                    }
                }
            }
            written = pointer;
            for (long d = 0; d <= sequences; d++) { // the document indices: one sequence per document
                buf.putLong(d);
                if (!buf.hasRemaining()) flush(buf, x);
            }
            flush(buf, x);
        }
        if (written != binBytes) throw new IllegalStateException(name + ": the lengths add up to " + written + " bytes, the data file has " + binBytes);
        fs.delete(partDir, true);
        fs.delete(partDir.getParent(), false);
        return new ExportManifest.Split(name, sequences, binBytes / dtype.bytes, Multiset.hex(multiset), binBytes,
                HexFormat.of().formatHex(binSha.digest()), HexFormat.of().formatHex(idxSha.digest()));
    }

    private static void writeSum(FileSystem fs, Path path, long multiset) throws IOException {
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(fs.create(path, true))) {
            out.writeLong(multiset);
        }
    }

    private static void flush(ByteBuffer buf, OutputStream out) throws IOException {
        out.write(buf.array(), 0, buf.position());
        buf.clear();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
