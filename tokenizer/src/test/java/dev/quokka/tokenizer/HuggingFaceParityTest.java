package dev.quokka.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Token ids equal Hugging Face tokenizers' (the Rust library, through DJL), document by document. */
class HuggingFaceParityTest {

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-dlm", "cl100k", "qwen3"})
    void sameIdsOnEnglishAndMultilingualText(String name) throws Exception {
        List<String> docs = new ArrayList<>(Fixtures.english());
        docs.addAll(Fixtures.multilingual());
        assertSameIds(name, docs);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-dlm", "cl100k", "qwen3"})
    void sameIdsOnAdversarialText(String name) throws Exception {
        Random rnd = new Random(42);
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 400; i++) docs.add(Fixtures.adversarial(rnd, 1 + rnd.nextInt(200), false));
        docs.add("x".repeat(5000));                      // one long word: the heap merge path
        docs.add("ab".repeat(3000) + " " + "漢字".repeat(700));
        docs.add(" ".repeat(300) + "\n\n\n" + "\t".repeat(50));
        docs.add("");
        assertSameIds(name, docs);
    }

    private static void assertSameIds(String name, List<String> docs) throws Exception {
        Tokenizer ours = Fixtures.tokenizer(name);
        try (HuggingFaceTokenizer hf = Fixtures.huggingFace(name)) {
            int mismatches = 0;
            String first = null;
            long tokens = 0;
            for (int d = 0; d < docs.size(); d++) {
                String doc = docs.get(d);
                int[] expected = Fixtures.ids(hf, doc);
                int[] actual = ours.encode(doc, true);
                tokens += expected.length;
                if (!Arrays.equals(expected, actual)) {
                    mismatches++;
                    if (first == null) first = describe(d, doc, expected, actual, ours);
                }
            }
            if (mismatches > 0) fail(name + ": " + mismatches + " of " + docs.size() + " documents differ; first: " + first);
            assertEquals(0, mismatches, "compared " + tokens + " tokens");
        }
    }

    static String describe(int d, String doc, int[] expected, int[] actual, Tokenizer t) {
        int i = Arrays.mismatch(expected, actual);
        int from = Math.max(0, i - 3);
        return "document " + d + " at token " + i + ": expected "
                + tokens(t, Arrays.copyOfRange(expected, from, Math.min(expected.length, i + 3)))
                + " got " + tokens(t, Arrays.copyOfRange(actual, from, Math.min(actual.length, i + 3)))
                + " in \"" + doc.substring(0, Math.min(doc.length(), 200)).replace("\n", "\\n") + "\"";
    }

    private static String tokens(Tokenizer t, int[] ids) {
        StringBuilder sb = new StringBuilder("[");
        for (int id : ids) {
            sb.append(id).append(":'").append(t.decode(new int[] {id}).replace("\n", "\\n")).append("' ");
        }
        return sb.append(']').toString();
    }
}
