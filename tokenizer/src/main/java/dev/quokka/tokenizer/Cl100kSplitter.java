package dev.quokka.tokenizer;

import static dev.quokka.tokenizer.CharClass.LETTER;
import static dev.quokka.tokenizer.CharClass.NEWLINE;
import static dev.quokka.tokenizer.CharClass.NUMBER;
import static dev.quokka.tokenizer.CharClass.OTHER;
import static dev.quokka.tokenizer.CharClass.SPACE;

/**
 * The cl100k pattern (and Qwen's, which takes one digit at a time instead of three) written out by hand:
 * <pre>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</pre>
 */
final class Cl100kSplitter implements Splitter {
    static final String CL100K_PATTERN =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String QWEN_PATTERN =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** tiktoken's spelling of cl100k (possessive quantifiers, one trailing newline: the same matches). */
    static final String TIKTOKEN_CL100K_PATTERN =
            "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+";

    static final Cl100kSplitter CL100K = new Cl100kSplitter(3);
    static final Cl100kSplitter QWEN = new Cl100kSplitter(1);

    private final int maxDigits;

    private Cl100kSplitter(int maxDigits) {
        this.maxDigits = maxDigits;
    }

    @Override
    public void split(String s, int from, int to, SpanSink out) {
        int i = from;
        while (i < to) {
            int start = i;
            int c0 = Splitter.codePointAt(s, i, to);
            int n0 = Character.charCount(c0);
            if (c0 == '\'') {
                int len = contraction(s, i + 1, to);
                if (len > 0) {
                    out.accept(start, i + 1 + len);
                    i += 1 + len;
                    continue;
                }
            }
            byte cls0 = CharClass.of(c0);
            int c1 = Splitter.codePointAt(s, i + n0, to);
            byte cls1 = c1 < 0 ? -1 : CharClass.of(c1);
            if (cls0 == LETTER || (cls0 != NEWLINE && cls0 != NUMBER && cls1 == LETTER)) {
                // `[^\r\n\p{L}\p{N}]?\p{L}+`
                int j = cls0 == LETTER ? i : i + n0;
                j = skip(s, j, to, LETTER);
                out.accept(start, j);
                i = j;
            } else if (cls0 == NUMBER) {
                // `\p{N}{1,3}`
                int j = i;
                for (int k = 0; k < maxDigits && j < to; k++) {
                    int c = Splitter.codePointAt(s, j, to);
                    if (CharClass.of(c) != NUMBER) break;
                    j += Character.charCount(c);
                }
                out.accept(start, j);
                i = j;
            } else if (cls0 == OTHER || (c0 == ' ' && cls1 == OTHER)) {
                // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
                int j = skip(s, cls0 == OTHER ? i : i + 1, to, OTHER);
                while (j < to && CharClass.of(s.charAt(j)) == NEWLINE) j++;
                out.accept(start, j);
                i = j;
            } else {
                // `\s*[\r\n]+` up to the run's last newline; else `\s+(?!\S)`, else `\s+`.
                int lastNewline = -1;
                int j = i;
                while (j < to) {
                    byte cls = CharClass.of(Splitter.codePointAt(s, j, to));
                    if (cls == NEWLINE) lastNewline = j;
                    else if (cls != SPACE) break;
                    j++;
                }
                if (lastNewline >= 0) j = lastNewline + 1;
                else if (j < to && j - i > 1) j--;
                out.accept(start, j);
                i = j;
            }
        }
    }

    private static int skip(String s, int j, int to, byte cls) {
        while (j < to) {
            int c = Splitter.codePointAt(s, j, to);
            if (CharClass.of(c) != cls) break;
            j += Character.charCount(c);
        }
        return j;
    }

    /** Length of a case-insensitive contraction suffix after an apostrophe, or 0. */
    private static int contraction(String s, int i, int to) {
        if (i >= to) return 0;
        char a = Character.toLowerCase(s.charAt(i));
        if (a == 's' || a == 't' || a == 'm' || a == 'd' || s.charAt(i) == '\u017F') return 1;
        if (i + 1 >= to) return 0;
        char b = Character.toLowerCase(s.charAt(i + 1));
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 2;
        return 0;
    }
}
