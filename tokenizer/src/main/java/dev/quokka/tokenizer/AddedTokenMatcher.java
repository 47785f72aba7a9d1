package dev.quokka.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Finds added tokens in text, leftmost-longest, honouring single_word, lstrip and rstrip as HF does. */
final class AddedTokenMatcher {
    /** Receives the text between tokens ({@code id < 0}) and the tokens. */
    @FunctionalInterface
    interface PieceSink {
        void accept(int start, int end, int tokenId);
    }

    private final Map<Character, AddedToken[]> byFirstChar = new HashMap<>();
    private final boolean[] isFirstChar = new boolean[Character.MAX_VALUE + 1];

    AddedTokenMatcher(List<AddedToken> tokens) {
        Map<Character, List<AddedToken>> grouped = new HashMap<>();
        for (AddedToken t : tokens) grouped.computeIfAbsent(t.content().charAt(0), c -> new ArrayList<>()).add(t);
        grouped.forEach((c, list) -> {
            list.sort(Comparator.comparingInt((AddedToken t) -> t.content().length()).reversed());
            byFirstChar.put(c, list.toArray(AddedToken[]::new));
            isFirstChar[c] = true;
        });
    }

    boolean isEmpty() {
        return byFirstChar.isEmpty();
    }

    void split(String text, PieceSink sink) {
        int last = 0;
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (!isFirstChar[c]) continue;
            for (AddedToken t : byFirstChar.get(c)) {
                String content = t.content();
                if (!text.startsWith(content, i)) continue;
                int end = i + content.length();
                if (t.singleWord() && (isWordChar(text, i - 1) || isWordChar(text, end))) continue;
                int start = i;
                if (t.lstrip()) while (start > last && Character.isWhitespace(text.charAt(start - 1))) start--;
                if (t.rstrip()) while (end < n && Character.isWhitespace(text.charAt(end))) end++;
                if (start > last) sink.accept(last, start, -1);
                sink.accept(start, end, t.id());
                last = end;
                i = end - 1;
                break;
            }
        }
        if (last < n) sink.accept(last, n, -1);
    }

    private static boolean isWordChar(String text, int i) {
        if (i < 0 || i >= text.length()) return false;
        char c = text.charAt(i);
        return Character.isLetterOrDigit(c) || c == '_';
    }
}
