package dev.quokka.dataprep.tokenize;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quokka.dataprep.provenance.InputFiles;
import java.util.List;

/**
 * What {@code quokka tokenize} reads and how.
 *
 * @param inputs           paths, globs or directories on any Hadoop FileSystem
 * @param format           how records are laid out in the files
 * @param textField        the JSONL field or Parquet column that holds the text
 * @param paragraphs       TEXT only: one document per blank-line separated block instead of per file
 * @param tokenizer        tokenizer.json on any Hadoop FileSystem
 * @param output           the output directory
 * @param lenient          quarantine bad records in {@code _rejected/} instead of failing
 * @param overwrite        replace an existing output made from other inputs or settings
 * @param maxDocumentBytes larger documents are bad records
 */
public record TokenizeConfig(List<String> inputs, Format format, String textField, boolean paragraphs,
                             String tokenizer, String output, boolean lenient, boolean overwrite,
                             long maxDocumentBytes) {
    public static final long DEFAULT_MAX_DOCUMENT_BYTES = 64L << 20;

    /** How documents are laid out in the input files. */
    public enum Format { TEXT, LINES, JSONL, PARQUET }

    public TokenizeConfig {
        inputs = List.copyOf(inputs);
        if (inputs.isEmpty()) throw new IllegalArgumentException("no inputs");
        if (maxDocumentBytes <= 0) throw new IllegalArgumentException("max document bytes must be positive");
        if (paragraphs && format != Format.TEXT) throw new IllegalArgumentException("paragraphs apply to the text format only");
    }

    /**
     * This config with its inputs and tokenizer as fully qualified URIs, so that {@code books}, {@code ./books} and
     * {@code file:/home/me/books} make the same request.
     */
    public TokenizeConfig qualified(org.apache.hadoop.conf.Configuration conf) throws java.io.IOException {
        List<String> q = new java.util.ArrayList<>();
        for (String in : inputs) q.add(InputFiles.qualify(in, conf));
        String tok = tokenizer == null || tokenizer.isEmpty() ? tokenizer : InputFiles.qualify(tokenizer, conf);
        return new TokenizeConfig(q, format, textField, paragraphs, tok, output, lenient, overwrite, maxDocumentBytes);
    }

    /** The settings that determine the output; {@code overwrite} does not. */
    public ObjectNode toJson() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        inputs.forEach(n.putArray("inputs")::add);
        n.put("format", format.name().toLowerCase());
        n.put("text_field", textField);
        n.put("paragraphs", paragraphs);
        n.put("tokenizer", tokenizer);
        n.put("lenient", lenient);
        n.put("max_document_bytes", maxDocumentBytes);
        return n;
    }
}
