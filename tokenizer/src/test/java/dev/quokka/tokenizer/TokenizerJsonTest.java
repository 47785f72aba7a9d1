package dev.quokka.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TokenizerJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-dlm", "cl100k", "qwen3"})
    void savedFilesLoadIntoHuggingFaceAndEncodeIdentically(String name, @TempDir Path dir) throws Exception {
        Tokenizer original = Fixtures.tokenizer(name);
        Path saved = dir.resolve("tokenizer.json");
        Files.write(saved, TokenizerJson.toBytes(original));
        Tokenizer reloaded = TokenizerJson.load(saved);
        assertArrayEquals(TokenizerJson.toBytes(original), TokenizerJson.toBytes(reloaded), "canonical form is stable");
        try (InputStream in = Files.newInputStream(saved); HuggingFaceTokenizer hf = Fixtures.huggingFace(in)) {
            for (String doc : Fixtures.multilingual().subList(0, 60)) {
                assertArrayEquals(original.encode(doc, true), Fixtures.ids(hf, doc));
                assertArrayEquals(original.encode(doc, true), reloaded.encode(doc, true));
            }
        }
    }

    @Test
    void tiktokenEncodingsSaveAsTokenizerJson(@TempDir Path dir) throws Exception {
        Tokenizer r50k = Tiktoken.bundled("r50k_base");
        Path saved = dir.resolve("r50k.json");
        Files.write(saved, TokenizerJson.toBytes(r50k));
        Tokenizer reloaded = TokenizerJson.load(saved);
        for (String doc : Fixtures.english().subList(0, 100)) assertArrayEquals(r50k.encode(doc), reloaded.encode(doc));
    }

    @Test
    void malformedFilesNameTheField() throws Exception {
        assertField("model.type", root -> ((ObjectNode) root.get("model")).put("type", "WordPiece"));
        assertField("model.type", root -> ((ObjectNode) root.get("model")).put("type", "Unigram"));
        assertField("normalizer.type", root -> root.putObject("normalizer").put("type", "Lowercase"));
        assertField("pre_tokenizer.type", root -> root.putObject("pre_tokenizer").put("type", "Whitespace"));
        assertField("decoder.type", root -> root.putObject("decoder").put("type", "WordPiece"));
        assertField("truncation", root -> root.putObject("truncation").put("max_length", 8));
        assertField("model.merges[3]", root -> ((ArrayNode) root.get("model").get("merges")).set(3, JSON.createArrayNode().add("nope").add("x")));
        assertField("model.merges[0]", root -> ((ArrayNode) root.get("model").get("merges")).set(0, JSON.getNodeFactory().textNode("a b c")));
        assertField("model.vocab", root -> ((ObjectNode) root.get("model")).put("vocab", 3));
        assertField("model.vocab[\"a b\"]", root -> ((ObjectNode) root.get("model").get("vocab")).put("a b", 70000));
        assertField("added_tokens[0].id", root -> ((ObjectNode) root.get("added_tokens").get(0)).remove("id"));
        assertField("model", root -> root.remove("model"));
        assertField("model.byte_fallback", root -> ((ObjectNode) root.get("model")).put("byte_fallback", true));
    }

    @Test
    void invalidJsonNamesTheFileAndLine(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\n \"version\": \"1.0\",\n \"model\": {\n oops\n}");
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> TokenizerJson.load(bad));
        assertTrue(e.getMessage().contains(bad.toString()) && e.getMessage().contains("line 4"), e.getMessage());
    }

    private static void assertField(String field, Consumer<ObjectNode> corrupt) throws Exception {
        ObjectNode root;
        try (InputStream in = Fixtures.open("tokenizers/gpt2-dlm.json.gz")) {
            root = (ObjectNode) JSON.readTree(in);
        }
        corrupt.accept(root);
        byte[] bytes = JSON.writeValueAsBytes(root);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TokenizerJson.parse(new String(bytes, java.nio.charset.StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().startsWith(field + ":"), () -> "expected the field " + field + " in: " + e.getMessage());
    }
}
