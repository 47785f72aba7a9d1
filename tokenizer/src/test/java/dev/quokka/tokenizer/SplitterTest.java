package dev.quokka.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The hand-written splitters find exactly the matches of the regexes they replace. */
class SplitterTest {

    @ParameterizedTest
    @ValueSource(strings = {Gpt2Splitter.PATTERN, Gpt2Splitter.TIKTOKEN_PATTERN, Cl100kSplitter.CL100K_PATTERN,
            Cl100kSplitter.TIKTOKEN_CL100K_PATTERN, Cl100kSplitter.QWEN_PATTERN})
    void handWrittenEqualsRegex(String pattern) {
        Splitter fast = RegexSplitter.forPattern(pattern);
        Splitter regex = new RegexSplitter(pattern);
        assertEquals(false, fast instanceof RegexSplitter, "expected a hand-written splitter");
        Random rnd = new Random(1);
        for (int i = 0; i < 3000; i++) {
            String s = Fixtures.adversarial(rnd, 1 + rnd.nextInt(80), true);
            assertEquals(spans(regex, s), spans(fast, s), () -> "text: " + s.replace("\n", "\\n"));
        }
        for (String doc : Fixtures.multilingual()) assertEquals(spans(regex, doc), spans(fast, doc));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 3, 17})
    void splitsOnlyTheGivenRegion(int offset) {
        String s = "xx Hello  world's 123!\n";
        String tail = s.substring(offset);
        List<String> whole = new ArrayList<>();
        Gpt2Splitter.INSTANCE.split(tail, 0, tail.length(), (a, b) -> whole.add(tail.substring(a, b)));
        List<String> region = new ArrayList<>();
        Gpt2Splitter.INSTANCE.split(s, offset, s.length(), (a, b) -> region.add(s.substring(a, b)));
        assertEquals(whole, region);
    }

    static List<String> spans(Splitter splitter, String s) {
        List<String> out = new ArrayList<>();
        splitter.split(s, 0, s.length(), (a, b) -> out.add(a + ":" + s.substring(a, b)));
        return out;
    }
}
