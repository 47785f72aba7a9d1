package dev.quokka.dataprep.tokenize;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quokka.dataprep.format.DocIds;
import dev.quokka.dataprep.format.Schemas;
import dev.quokka.dataprep.provenance.ParquetFooters;
import dev.quokka.dataprep.spark.SerializableConfiguration;
import dev.quokka.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;

/**
 * One input partition of raw records ({@link Schemas#RAW}) to one Parquet file of documents,
 * {@code part-NNNNN.parquet}, each document's tokens ending with end-of-document. Strict mode fails on the first bad
 * record; lenient mode writes the bad records with their reasons to {@code _rejected/part-NNNNN.json}. The task's
 * result is its {@link Fate}: what became of every record it read.
 *
 * <p>A task attempt writes under {@code _temporary/} and renames its file into place when complete, so a failed
 * attempt leaves nothing that looks finished. Names and contents follow from the partition alone, so a retried or
 * speculative attempt writes the same bytes and either copy may win.
 */
final class TokenizePartition implements FlatMapFunction<Iterator<Row>, TokenizePartition.Fate> {
    static final String REJECTED = "_rejected";
    static final String TEMPORARY = "_temporary";

    /** What became of a partition's records: each is a document, an empty document or a rejected record. */
    record Fate(int partition, long records, long documents, long tokens, long empty,
                Map<String, Long> rejectedByReason, long replacedLoneSurrogates) implements Serializable {
        long rejected() {
            return rejectedByReason.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private final Broadcast<byte[]> tokenizerJson;
    private final String tokenizerSha;
    private final boolean lenient;
    private final String staging;
    private final SerializableConfiguration conf;
    private final String sparkVersion;

    TokenizePartition(Broadcast<byte[]> tokenizerJson, String tokenizerSha, boolean lenient, String staging,
                      SerializableConfiguration conf, String sparkVersion) {
        this.tokenizerJson = tokenizerJson;
        this.tokenizerSha = tokenizerSha;
        this.lenient = lenient;
        this.staging = staging;
        this.conf = conf;
        this.sparkVersion = sparkVersion;
    }

    @Override
    public Iterator<Fate> call(Iterator<Row> raw) throws IOException {
        Tokenizer tokenizer = ExecutorTokenizers.get(tokenizerSha, tokenizerJson.value());
        int eod = tokenizer.specialTokens().endOfDocument();
        TaskContext task = TaskContext.get();
        String name = String.format("part-%05d", task.partitionId());
        Path file = new Path(staging, name + ".parquet");
        Path attempt = new Path(staging, TEMPORARY + "/" + name + ".parquet." + task.taskAttemptId());
        FileSystem fs = file.getFileSystem(conf.get());

        ObjectMapper json = new ObjectMapper();
        Path rejectedFile = new Path(staging, REJECTED + "/" + name + ".json");
        Path rejectedAttempt = new Path(staging, TEMPORARY + "/" + name + ".json." + task.taskAttemptId());
        OutputStream rejected = null;
        Map<String, Long> reasons = new TreeMap<>();
        long records = 0, documents = 0, tokens = 0, empty = 0, surrogates = 0;
        DocsParquetWriter out = new DocsParquetWriter(attempt, conf.get(), sparkVersion);
        try {
            while (raw.hasNext()) {
                Row r = raw.next();
                records++;
                if (r.isNullAt(2)) {
                    if (!lenient) throw new BadRecordException(r.getString(4) + " (use --lenient to quarantine bad records)");
                    reasons.merge(r.getString(3), 1L, Long::sum);
                    ObjectNode o = json.createObjectNode().put("source", r.getString(0)).put("position", r.getLong(1))
                            .put("reason", r.getString(3)).put("detail", r.getString(4)).put("record", r.getString(5));
                    if (rejected == null) rejected = fs.create(rejectedAttempt, true);
                    rejected.write((o + "\n").getBytes(StandardCharsets.UTF_8));
                    continue;
                }
                String text = r.getString(2);
                if (text.isEmpty()) {
                    empty++;
                    continue;
                }
                surrogates += Tokenizer.countLoneSurrogates(text);
                int[] ids = tokenizer.encode(text);
                int[] doc = Arrays.copyOf(ids, ids.length + 1);
                doc[ids.length] = eod;
                String source = r.getString(0);
                long position = r.getLong(1);
                out.write(DocIds.of(source, position), source, position, doc);
                documents++;
                tokens += doc.length;
            }
        } catch (Throwable e) {
            try {
                out.close();
                if (rejected != null) rejected.close();
                fs.delete(attempt, false);
                fs.delete(rejectedAttempt, false);
            } catch (Throwable suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        out.close();
        ParquetFooters.canonicalize(fs, attempt);
        moveIntoPlace(fs, attempt, file);
        if (rejected != null) {
            rejected.close();
            fs.mkdirs(rejectedFile.getParent());
            moveIntoPlace(fs, rejectedAttempt, rejectedFile);
        }
        return List.of(new Fate(task.partitionId(), records, documents, tokens, empty, reasons, surrogates)).iterator();
    }

    private static void moveIntoPlace(FileSystem fs, Path attempt, Path file) throws IOException {
        if (!fs.rename(attempt, file)) {
            if (!fs.exists(file)) throw new IOException("could not rename " + attempt + " to " + file);
            fs.delete(attempt, false); // another attempt of this partition got there first, with the same bytes
        }
    }
}
