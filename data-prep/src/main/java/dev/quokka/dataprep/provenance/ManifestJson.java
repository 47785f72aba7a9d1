package dev.quokka.dataprep.provenance;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The one JSON mapping of the typed manifests ({@link DocsManifest}, {@link StudyManifest}, {@link RunManifest},
 * {@link FitManifest}, {@link PlanManifest}, {@link TokenizerManifest}, {@link SweepManifest}): record components in
 * declaration order, in snake_case, absent when null. A manifest's field order is part of its bytes and of the
 * request hashes made from it, so a record lists its components in the order the format documents
 * (docs/formats.md).
 */
public final class ManifestJson {
    static final ObjectMapper MAPPER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            // Readers take what they know: a newer manifest may carry more.
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private ManifestJson() {}

    /** A typed manifest (or any part of one) as a JSON tree, fields in the record's order. */
    public static ObjectNode tree(Object manifest) {
        return MAPPER.valueToTree(manifest);
    }

    /** A manifest read back into its record. */
    public static <T> T read(JsonNode json, Class<T> type) {
        try {
            return MAPPER.treeToValue(json, type);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("not a " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
        }
    }

    /** The manifest as text, as the jobs write it. */
    public static String pretty(Object manifest) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(tree(manifest));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
