package dev.quokka.dataprep.tokenize;

import dev.quokka.tokenizer.Tokenizer;
import dev.quokka.tokenizer.TokenizerJson;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** One parsed tokenizer per executor JVM and tokenizer hash, shared by all its tasks (Tokenizer is thread-safe). */
final class ExecutorTokenizers {
    private static final Map<String, Tokenizer> BY_SHA = new ConcurrentHashMap<>();

    private ExecutorTokenizers() {}

    static Tokenizer get(String sha256, byte[] json) {
        return BY_SHA.computeIfAbsent(sha256, k -> TokenizerJson.parse(new String(json, StandardCharsets.UTF_8)));
    }

    static void clear() {
        BY_SHA.clear();
    }
}
