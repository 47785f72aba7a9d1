package dev.quokka.dataprep.provenance;

import java.util.List;

/**
 * {@code _manifest.json} of a study exported for Megatron-LM ({@code quokka export megatron}): the study it came from
 * (its URI and its manifest's SHA-256, so the two stay linked), what fixes its stream (U, epochs, seed, sequence
 * length, tokenizer), the token dtype, and per split the documents, tokens and checksums of both files
 * (docs/formats.md, "Megatron exports").
 */
public record ExportManifest(String format, String study, String studyManifestSha256, long uniqueTokens, int epochs, long seed, int seqLen,
                             DocsManifest.Tokenizer tokenizer, String dtype, List<Split> splits, String codeVersion, String sparkVersion) {

    /**
     * One indexed dataset, NAME.bin and NAME.idx; {@code multisetChecksum} is the study's order-independent checksum
     * of its tokens (dataprep.format.Multiset), equal to the study manifest's for train and valid.
     */
    public record Split(String name, long documents, long tokens, String multisetChecksum, long binBytes, String binSha256, String idxSha256) {}
}
