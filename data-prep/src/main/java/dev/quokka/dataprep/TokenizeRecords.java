package dev.quokka.dataprep;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quokka.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;

/**
 * Raw records ({@link Schemas#RAW}) to tokenized documents, end-of-document appended. Strict mode fails on the first
 * bad record. Otherwise each partition, once read to the end, writes what became of its records to
 * {@code _fates/part-NNNNN.json} and its bad records to {@code _rejected/part-NNNNN.json}. The names are the
 * partition's and the content follows from its input, so a retried or speculative task writes the same bytes: the
 * counts stay exact without a second pass over the corpus.
 */
final class TokenizeRecords implements FlatMapFunction<Iterator<Row>, Doc> {
    static final String FATES = "_fates";
    static final String REJECTED = "_rejected";

    private final Broadcast<byte[]> tokenizerJson;
    private final String tokenizerSha;
    private final boolean lenient;
    private final String staging;
    private final SerializableConfiguration conf;

    TokenizeRecords(Broadcast<byte[]> tokenizerJson, String tokenizerSha, boolean lenient, String staging,
                    SerializableConfiguration conf) {
        this.tokenizerJson = tokenizerJson;
        this.tokenizerSha = tokenizerSha;
        this.lenient = lenient;
        this.staging = staging;
        this.conf = conf;
    }

    @Override
    public Iterator<Doc> call(Iterator<Row> raw) {
        Tokenizer tokenizer = ExecutorTokenizers.get(tokenizerSha, tokenizerJson.value());
        int eod = tokenizer.specialTokens().endOfDocument();
        ObjectMapper json = new ObjectMapper();
        StringBuilder rejected = new StringBuilder();
        Map<String, Long> reasons = new TreeMap<>();
        long[] n = new long[4]; // records, with text, empty, lone surrogates
        return new Iterator<>() {
            Doc next = advance();

            private Doc advance() {
                while (raw.hasNext()) {
                    Row r = raw.next();
                    n[0]++;
                    if (r.isNullAt(2)) {
                        if (!lenient) throw new BadRecordException(r.getString(4) + " (use --lenient to quarantine bad records)");
                        reasons.merge(r.getString(3), 1L, Long::sum);
                        ObjectNode o = json.createObjectNode().put("source", r.getString(0)).put("position", r.getLong(1))
                                .put("reason", r.getString(3)).put("detail", r.getString(4)).put("excerpt", r.getString(5));
                        rejected.append(o).append('\n');
                        continue;
                    }
                    String text = r.getString(2);
                    if (text.isEmpty()) {
                        n[2]++;
                        continue;
                    }
                    n[1]++;
                    n[3] += Tokenizer.countLoneSurrogates(text);
                    int[] ids = tokenizer.encode(text);
                    int[] tokens = Arrays.copyOf(ids, ids.length + 1);
                    tokens[ids.length] = eod;
                    String source = r.getString(0);
                    long position = r.getLong(1);
                    return new Doc(DocIds.of(source, position), source, position, tokens);
                }
                finish();
                return null;
            }

            private void finish() {
                String part = String.format("part-%05d.json", TaskContext.getPartitionId());
                ObjectNode fates = json.createObjectNode().put("records", n[0]).put("with_text", n[1]).put("empty", n[2])
                        .put("replaced_lone_surrogates", n[3]);
                reasons.forEach(fates.putObject("rejected_by_reason")::put);
                write(FATES + "/" + part, fates + "\n");
                if (rejected.length() > 0) write(REJECTED + "/" + part, rejected.toString());
            }

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public Doc next() {
                Doc d = next;
                next = advance();
                return d;
            }
        };
    }

    private void write(String relative, String content) {
        Path p = new Path(staging, relative);
        try (OutputStream o = p.getFileSystem(conf.get()).create(p, true)) {
            o.write(content.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
