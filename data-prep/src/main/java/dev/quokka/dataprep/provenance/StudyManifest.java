package dev.quokka.dataprep.provenance;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quokka.dataprep.format.StudyFormat;
import java.io.IOException;
import java.io.Serializable;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * {@code _manifest.json} of a study ({@code quokka shard}): what it holds, how it was chosen, and the accounting that
 * proves it (docs/formats.md, "Studies"). {@code config} is the shard request ({@code StudyConfig}), kept as the
 * JSON the request hash was made from.
 *
 * @param materialized present only for {@code shard --materialize}
 */
public record StudyManifest(String format, DocsManifest.Tokenizer tokenizer, List<DocsManifest.Input> inputs, Validation validation,
                            Unique unique, Disjoint disjoint, Stream stream, Index index, List<Epoch> epochs, Materialized materialized,
                            String codeVersion, String sparkVersion, String requestSha256, JsonNode config, String docsManifestSha256)
        implements Serializable {

    /** The held-out documents: the same for every U and seed of a corpus. */
    public record Validation(String selection, long salt, long documents, long tokens, String checksum, List<FileEntry> files)
            implements Serializable {}

    /** The first U tokens in seeded order; the last document may be cut. */
    public record Unique(long documents, long tokens, String checksum, LastDocument lastDocument, List<FileEntry> files)
            implements Serializable {}

    public record LastDocument(long docId, int tokensKept, int tokens) implements Serializable {}

    public record Disjoint(long validationDocumentsInTraining) implements Serializable {}

    /** The training stream: round(U e) tokens cut into windows of L + 1 at stride L. */
    public record Stream(long tokens, int seqLen, int window, long sequences, long trailingTokens) implements Serializable {}

    /** One seeded permutation of the unique documents per epoch. */
    public record Index(String algorithm, long seed, int epochs, List<FileEntry> files) implements Serializable {}

    public record Epoch(int epoch, long tokens, long firstSequence, long sequences, String checksum) implements Serializable {}

    public record Materialized(List<FileEntry> files) implements Serializable {}

    /**
     * What fixes a study's sequences, but for how many epochs it holds: a longer study with the same fingerprint has
     * the same sequences in every epoch but the shorter one's last, so a run can be extended onto it.
     */
    public record Fingerprint(String uniqueChecksum, String validationChecksum, long seed, int seqLen, String tokenizerSha256) {
        /** What differs between two fingerprints, in words; empty when they match. */
        public List<String> differences(Fingerprint other) {
            List<String> differ = new java.util.ArrayList<>();
            if (!uniqueChecksum.equals(other.uniqueChecksum)) differ.add("unique tokens");
            if (!validationChecksum.equals(other.validationChecksum)) differ.add("validation set");
            if (seed != other.seed) differ.add("seed");
            if (seqLen != other.seqLen) differ.add("sequence length");
            if (!tokenizerSha256.equals(other.tokenizerSha256)) differ.add("tokenizer");
            return differ;
        }
    }

    public Fingerprint fingerprint() {
        return new Fingerprint(unique.checksum(), validation.checksum(), index.seed(), stream.seqLen(), tokenizer.sha256());
    }

    /** Reads a complete study's manifest; anything but a study manifest is refused with the path. */
    public static StudyManifest read(FileSystem fs, Path dir) throws IOException {
        JsonNode m = AtomicOutput.readManifest(fs, dir);
        if (!StudyFormat.FORMAT.equals(m.path("format").asText())) {
            throw new IllegalArgumentException(dir + ": not a " + StudyFormat.FORMAT + " manifest");
        }
        return ManifestJson.read(m, StudyManifest.class);
    }

    /** What a rerun must match to reuse the study: the shard settings and the documents' manifest. */
    public record Request(JsonNode config, String docsManifestSha256) {
        public String sha256() {
            return Manifests.sha256(ManifestJson.tree(this));
        }
    }

    /** This manifest as committed: with the request that made it. */
    public StudyManifest withRequest(String requestSha256, Request request) {
        return new StudyManifest(format, tokenizer, inputs, validation, unique, disjoint, stream, index, epochs, materialized, codeVersion,
                sparkVersion, requestSha256, request.config(), request.docsManifestSha256());
    }

    public StudyManifest withMaterialized(Materialized materialized) {
        return new StudyManifest(format, tokenizer, inputs, validation, unique, disjoint, stream, index, epochs, materialized, codeVersion,
                sparkVersion, requestSha256, config, docsManifestSha256);
    }
}
