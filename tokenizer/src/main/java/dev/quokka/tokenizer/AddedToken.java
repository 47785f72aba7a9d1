package dev.quokka.tokenizer;

/** A token matched verbatim in the text before pre-tokenization, as in tokenizer.json's {@code added_tokens}. */
public record AddedToken(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip,
                         boolean normalized, boolean special) {
    public AddedToken {
        if (id < 0) throw new IllegalArgumentException("added token id must be >= 0: " + id);
        if (content == null || content.isEmpty()) throw new IllegalArgumentException("added token " + id + " has no content");
    }

    /** A special token with Hugging Face's defaults. */
    public static AddedToken special(int id, String content) {
        return new AddedToken(id, content, false, false, false, false, true);
    }
}
