package dev.quokka.dataprep.provenance;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * {@code tokenizer.json.manifest.json}, beside a vocabulary trained by {@code quokka tokenizer train}: the request
 * that made it (its hash decides whether a rerun has anything to do), the words counted and the result's hash.
 */
public record TokenizerManifest(String format, String requestSha256, JsonNode input, int vocabSize, String pattern, List<String> specials,
                                long minFrequency, List<Input> inputs, long distinctWords, long words, String tokenizerSha256,
                                int trainedVocabSize, String codeVersion) {

    public static final String FORMAT = "quokka.tokenizer/1";

    /** What a rerun must match: the input settings, the vocabulary's size, pattern, specials and the inputs' bytes. */
    public record Request(JsonNode input, int vocabSize, String pattern, List<String> specials, long minFrequency, List<Input> inputs) {
        public String sha256() {
            return Manifests.sha256(ManifestJson.tree(this));
        }
    }

    public record Input(String source, long bytes, String sha256) {}

    public static TokenizerManifest of(Request r, long distinctWords, long words, String tokenizerSha256, int trainedVocabSize) {
        return new TokenizerManifest(FORMAT, r.sha256(), r.input(), r.vocabSize(), r.pattern(), r.specials(), r.minFrequency(), r.inputs(),
                distinctWords, words, tokenizerSha256, trainedVocabSize, BuildInfo.codeVersion());
    }
}
