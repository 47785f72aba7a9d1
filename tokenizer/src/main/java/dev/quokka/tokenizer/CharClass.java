package dev.quokka.tokenizer;

/**
 * The character classes of the pre-tokenizer regexes, as Oniguruma (Hugging Face) and fancy-regex (tiktoken)
 * define them: \p{L}, \p{N}, and \s as the Unicode White_Space property. Note that White_Space, unlike
 * {@link Character#isWhitespace}, excludes U+001C..U+001F and includes U+0085 and U+00A0.
 */
final class CharClass {
    static final byte OTHER = 0, LETTER = 1, NUMBER = 2, SPACE = 3, NEWLINE = 4;
    private static final byte[] ASCII = new byte[128];

    static {
        for (int c = 'a'; c <= 'z'; c++) ASCII[c] = LETTER;
        for (int c = 'A'; c <= 'Z'; c++) ASCII[c] = LETTER;
        for (int c = '0'; c <= '9'; c++) ASCII[c] = NUMBER;
        ASCII[' '] = ASCII['\t'] = ASCII[0x0B] = ASCII['\f'] = SPACE;
        ASCII['\n'] = ASCII['\r'] = NEWLINE;
    }

    private CharClass() {}

    static byte of(int cp) {
        if (cp < 128) return ASCII[cp];
        switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER:
                return LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER:
                return NUMBER;
            default:
                return isUnicodeSpace(cp) ? SPACE : OTHER;
        }
    }

    private static boolean isUnicodeSpace(int cp) {
        return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A)
                || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    static boolean isSpace(byte cls) {
        return cls == SPACE || cls == NEWLINE;
    }
}
