package dev.quokka.tokenizer;

/** Finds the matches of one pre-tokenizer pattern in a region of text, in order and without overlap. */
interface Splitter {
    void split(String text, int from, int to, SpanSink matches);

    /** Receives [start, end) spans of a text. */
    @FunctionalInterface
    interface SpanSink {
        void accept(int start, int end);
    }

    /** The code point at {@code i}, or -1 at {@code to}. Lone surrogates come back as themselves. */
    static int codePointAt(String s, int i, int to) {
        if (i >= to) return -1;
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c) && i + 1 < to) {
            char d = s.charAt(i + 1);
            if (Character.isLowSurrogate(d)) return Character.toCodePoint(c, d);
        }
        return c;
    }
}
