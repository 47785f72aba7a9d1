package dev.quokka.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** tiktoken rank files bundled in jtokkit give jtokkit's own ids. */
class JtokkitParityTest {

    @ParameterizedTest
    @CsvSource({"r50k_base, R50K_BASE", "cl100k_base, CL100K_BASE"})
    void sameIdsAsJtokkit(String name, EncodingType type) throws Exception {
        Tokenizer ours = Tiktoken.bundled(name);
        Encoding theirs = Encodings.newDefaultEncodingRegistry().getEncoding(type);
        List<String> docs = new ArrayList<>(Fixtures.english());
        docs.addAll(Fixtures.multilingual());
        Random rnd = new Random(7);
        for (int i = 0; i < 300; i++) docs.add(Fixtures.adversarial(rnd, 1 + rnd.nextInt(150), false));
        int mismatches = 0;
        String first = null;
        for (int d = 0; d < docs.size(); d++) {
            int[] expected = theirs.encodeOrdinary(docs.get(d)).toArray();
            int[] actual = ours.encode(docs.get(d));
            if (!Arrays.equals(expected, actual)) {
                mismatches++;
                if (first == null) first = HuggingFaceParityTest.describe(d, docs.get(d), expected, actual, ours);
            }
        }
        assertEquals(0, mismatches, name + ": documents that differ; first: " + first);
    }
}
