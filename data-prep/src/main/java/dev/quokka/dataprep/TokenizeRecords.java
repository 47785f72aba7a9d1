package dev.quokka.dataprep;

import dev.quokka.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.Iterator;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;

/**
 * Raw records ({@link Schemas#RAW}) with text to tokenized documents, end-of-document appended. Strict mode fails on
 * the first bad record; otherwise bad and empty records are skipped here and counted by {@link TokenizeJob}.
 */
final class TokenizeRecords implements FlatMapFunction<Iterator<Row>, Doc> {
    private final Broadcast<byte[]> tokenizerJson;
    private final String tokenizerSha;
    private final boolean lenient;

    TokenizeRecords(Broadcast<byte[]> tokenizerJson, String tokenizerSha, boolean lenient) {
        this.tokenizerJson = tokenizerJson;
        this.tokenizerSha = tokenizerSha;
        this.lenient = lenient;
    }

    @Override
    public Iterator<Doc> call(Iterator<Row> raw) {
        Tokenizer tokenizer = ExecutorTokenizers.get(tokenizerSha, tokenizerJson.value());
        int eod = tokenizer.specialTokens().endOfDocument();
        return new Iterator<>() {
            Doc next = advance();

            private Doc advance() {
                while (raw.hasNext()) {
                    Row r = raw.next();
                    if (r.isNullAt(2)) {
                        if (!lenient) throw new BadRecordException(r.getString(4) + " (use --lenient to quarantine bad records)");
                        continue;
                    }
                    String text = r.getString(2);
                    if (text.isEmpty()) continue;
                    int[] ids = tokenizer.encode(text);
                    int[] tokens = Arrays.copyOf(ids, ids.length + 1);
                    tokens[ids.length] = eod;
                    String source = r.getString(0);
                    long position = r.getLong(1);
                    return new Doc(DocIds.of(source, position), source, position, tokens);
                }
                return null;
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
