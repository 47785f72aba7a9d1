package dev.quokka.tokenizer;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Any other pre-tokenizer pattern, through java.util.regex with Unicode classes (\s as White_Space). */
final class RegexSplitter implements Splitter {
    private final Pattern pattern;

    RegexSplitter(String regex) {
        this.pattern = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
    }

    @Override
    public void split(String text, int from, int to, SpanSink out) {
        Matcher m = pattern.matcher(text).region(from, to);
        while (m.find()) {
            if (m.end() > m.start()) out.accept(m.start(), m.end());
        }
    }

    /** The fastest splitter for a pattern: hand-written for the well-known ones. */
    static Splitter forPattern(String regex) {
        return switch (regex) {
            case Gpt2Splitter.PATTERN, Gpt2Splitter.TIKTOKEN_PATTERN -> Gpt2Splitter.INSTANCE;
            case Cl100kSplitter.CL100K_PATTERN, Cl100kSplitter.TIKTOKEN_CL100K_PATTERN -> Cl100kSplitter.CL100K;
            case Cl100kSplitter.QWEN_PATTERN -> Cl100kSplitter.QWEN;
            default -> new RegexSplitter(regex);
        };
    }
}
