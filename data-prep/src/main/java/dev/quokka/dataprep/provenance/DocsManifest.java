package dev.quokka.dataprep.provenance;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * {@code _manifest.json} of tokenized documents ({@code quokka tokenize}): the request that made them (its hash
 * decides whether a rerun has anything to do), the tokenizer, what became of every input record, and the files
 * (docs/formats.md, "Tokenized documents").
 */
public record DocsManifest(String format, String requestSha256, JsonNode config, String tokenizerSha256, List<Input> inputs,
                           Tokenizer tokenizer, Counts counts, List<FileEntry> files, String codeVersion, String sparkVersion)
        implements Serializable {

    /** What a rerun must match to reuse the output: the job's settings, the tokenizer and every input's bytes. */
    public record Request(JsonNode config, String tokenizerSha256, List<Input> inputs) {
        public String sha256() {
            return Manifests.sha256(ManifestJson.tree(this));
        }
    }

    /** An input file: its name as the documents' {@code source}, where it was, its size and SHA-256. */
    public record Input(String source, String uri, long bytes, String sha256) implements Serializable {}

    public record Tokenizer(String uri, String sha256, int vocabSize, int endOfDocument) implements Serializable {}

    /** Every input record is a document, empty or rejected: {@code records = documents + empty + rejected}. */
    public record Counts(long records, long documents, long tokens, long empty, long rejected, Map<String, Long> rejectedByReason,
                         long replacedLoneSurrogates) implements Serializable {}

    public static DocsManifest of(String format, Request request, Tokenizer tokenizer, Counts counts, List<FileEntry> files,
                                  String sparkVersion) {
        return new DocsManifest(format, request.sha256(), request.config(), request.tokenizerSha256(), request.inputs(), tokenizer,
                counts, files, BuildInfo.codeVersion(), sparkVersion);
    }
}
