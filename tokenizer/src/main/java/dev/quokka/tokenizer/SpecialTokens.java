package dev.quokka.tokenizer;

import java.util.List;
import java.util.OptionalInt;

/** The ids that play a role in training data: end of document, mask (diffusion) and padding; -1 where absent. */
public record SpecialTokens(int endOfDocument, int mask, int pad) {
    public static final String END_OF_TEXT = "<|endoftext|>";
    public static final String MASK = "<|mask_token|>";
    public static final String PAD = "<|pad_token|>";

    private static final List<String> EOD_NAMES = List.of(END_OF_TEXT, "<|end_of_text|>", "</s>", "<eos>");
    private static final List<String> MASK_NAMES = List.of(MASK, "<|mask|>", "<mask>", "[MASK]");
    private static final List<String> PAD_NAMES = List.of(PAD, "<|pad|>", "<pad>", "[PAD]");

    /** Recognises the roles by the usual names of the tokens. */
    static SpecialTokens infer(List<AddedToken> added) {
        return new SpecialTokens(find(added, EOD_NAMES), find(added, MASK_NAMES), find(added, PAD_NAMES));
    }

    private static int find(List<AddedToken> added, List<String> names) {
        for (String name : names) {
            for (AddedToken t : added) if (t.content().equals(name)) return t.id();
        }
        return -1;
    }

    public OptionalInt endOfDocumentId() {
        return endOfDocument < 0 ? OptionalInt.empty() : OptionalInt.of(endOfDocument);
    }

    public OptionalInt maskId() {
        return mask < 0 ? OptionalInt.empty() : OptionalInt.of(mask);
    }

    public OptionalInt padId() {
        return pad < 0 ? OptionalInt.empty() : OptionalInt.of(pad);
    }
}
