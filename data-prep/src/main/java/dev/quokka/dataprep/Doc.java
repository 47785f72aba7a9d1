package dev.quokka.dataprep;

import java.io.Serializable;

/**
 * A tokenized document, as a bean so that Spark's encoder stores {@code int[]} directly (a Row would box every
 * token). Columns: docId, source, position, tokenCount, tokens.
 */
public final class Doc implements Serializable {
    private static final long serialVersionUID = 1L;
    private long docId;
    private String source;
    private long position;
    private int tokenCount;
    private int[] tokens;

    public Doc() {}

    Doc(long docId, String source, long position, int[] tokens) {
        this.docId = docId;
        this.source = source;
        this.position = position;
        this.tokenCount = tokens.length;
        this.tokens = tokens;
    }

    public long getDocId() { return docId; }
    public void setDocId(long v) { docId = v; }
    public String getSource() { return source; }
    public void setSource(String v) { source = v; }
    public long getPosition() { return position; }
    public void setPosition(long v) { position = v; }
    public int getTokenCount() { return tokenCount; }
    public void setTokenCount(int v) { tokenCount = v; }
    public int[] getTokens() { return tokens; }
    public void setTokens(int[] v) { tokens = v; }
}
