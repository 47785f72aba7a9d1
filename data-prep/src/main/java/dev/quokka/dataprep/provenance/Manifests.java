package dev.quokka.dataprep.provenance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.quokka.dataprep.format.DocIds;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/** Canonical JSON and hashes for manifests. */
public final class Manifests {
    private static final ObjectMapper CANONICAL = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private Manifests() {}

    /** SHA-256 of a JSON value's compact serialization (object keys in insertion order, as built). */
    public static String sha256(JsonNode node) {
        try {
            byte[] bytes = CANONICAL.writeValueAsString(node).getBytes(StandardCharsets.UTF_8);
            return HexFormat.of().formatHex(DocIds.sha256().digest(bytes));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
