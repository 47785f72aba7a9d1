package dev.quokka.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.text.Normalizer;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RoundTripTest {

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-dlm", "cl100k", "qwen3"})
    void decodeOfEncodeIsTheText(String name) {
        Tokenizer t = Fixtures.tokenizer(name);
        boolean nfc = name.equals("qwen3");
        Random rnd = new Random(3);
        for (int i = 0; i < 2000; i++) {
            String s = Fixtures.adversarial(rnd, rnd.nextInt(120), false);
            String expected = nfc ? Normalizer.normalize(s, Normalizer.Form.NFC) : s;
            assertEquals(expected, t.decode(t.encode(s)));
            assertEquals(expected, t.decode(t.encode(s, true)));
        }
        for (String doc : Fixtures.multilingual()) {
            assertEquals(nfc ? Normalizer.normalize(doc, Normalizer.Form.NFC) : doc, t.decode(t.encode(doc)));
        }
    }

    @Test
    void loneSurrogatesBecomeReplacementCharactersAndAreCounted() {
        Tokenizer t = Fixtures.tokenizer("gpt2-dlm");
        long before = t.replacedSurrogates();
        String s = "ok \uD83D done \uDE00\uDE00 😀";
        assertEquals("ok \uFFFD done \uFFFD\uFFFD 😀", t.decode(t.encode(s)));
        t.encode(s); // a second time: words with lone surrogates are not cached, so they count again
        assertEquals(6, t.replacedSurrogates() - before);
        assertArrayEquals(t.encode("ok \uFFFD done \uFFFD\uFFFD 😀"), t.encode(s));
    }

    @Test
    void specialTokensAreTextUnlessAllowed() {
        Tokenizer t = Fixtures.tokenizer("gpt2-dlm");
        SpecialTokens roles = t.specialTokens();
        assertEquals(50256, roles.endOfDocument());
        assertEquals(50257, roles.mask());
        assertEquals(50258, roles.pad());
        String s = "end<|endoftext|>";
        assertTrue(t.encode(s).length > 2);
        int[] split = t.encode(s, true);
        assertEquals(50256, split[split.length - 1]);
        assertEquals(s, t.decode(split));
        assertEquals(50269, t.vocabSize());
    }

    @Test
    void batchEqualsOneByOne() {
        Tokenizer t = Fixtures.tokenizer("cl100k");
        List<String> docs = Fixtures.multilingual().subList(0, 20);
        int[][] batch = t.encodeBatch(docs);
        for (int i = 0; i < docs.size(); i++) assertArrayEquals(t.encode(docs.get(i)), batch[i]);
    }

    @Test
    void unknownIdsAreNamedWithTheirPosition() {
        Tokenizer t = Fixtures.tokenizer("gpt2-dlm");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {1, 2, 999_999}));
        assertTrue(e.getMessage().contains("999999") && e.getMessage().contains("position 2"), e.getMessage());
    }
}
