package dev.quokka.dataprep;

import dev.quokka.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.Iterator;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Raw records ({@link Schemas#RAW}) to tokenized records ({@link Schemas#TOKENIZED}): tokens with end-of-document
 * appended, or the status of a record that is empty or bad. Strict mode fails on the first bad record instead.
 */
final class TokenizeRecords implements FlatMapFunction<Iterator<Row>, Row> {
    static final String OK = "ok", EMPTY = "empty", REJECTED = "rejected";

    private final Broadcast<byte[]> tokenizerJson;
    private final String tokenizerSha;
    private final boolean lenient;

    TokenizeRecords(Broadcast<byte[]> tokenizerJson, String tokenizerSha, boolean lenient) {
        this.tokenizerJson = tokenizerJson;
        this.tokenizerSha = tokenizerSha;
        this.lenient = lenient;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> raw) {
        Tokenizer tokenizer = ExecutorTokenizers.get(tokenizerSha, tokenizerJson.value());
        int eod = tokenizer.specialTokens().endOfDocument();
        return new SourceReader.MappingIterator<>(raw, r -> {
            String source = r.getString(0);
            long position = r.getLong(1);
            long id = DocIds.of(source, position);
            if (r.isNullAt(2)) {
                if (!lenient) throw new BadRecordException(r.getString(4) + " (use --lenient to quarantine bad records)");
                return RowFactory.create(id, source, position, 0, null, REJECTED, r.getString(3), r.getString(4), r.getString(5), 0);
            }
            String text = r.getString(2);
            if (text.isEmpty()) return RowFactory.create(id, source, position, 0, null, EMPTY, null, null, null, 0);
            int[] ids = tokenizer.encode(text);
            int[] tokens = Arrays.copyOf(ids, ids.length + 1);
            tokens[ids.length] = eod;
            return RowFactory.create(id, source, position, tokens.length, tokens, OK, null, null, null, loneSurrogates(text));
        });
    }

    /** The tokenizer replaces these with U+FFFD; the manifest counts them. */
    static int loneSurrogates(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) i++;
            else if (Character.isSurrogate(c)) n++;
        }
        return n;
    }
}
