package dev.quokka.tokenizer;

/** A malformed tokenizer.json or rank file; the message names the field (or line) that is wrong. */
public final class TokenizerFormatException extends IllegalArgumentException {
    private final String field;
    private final String detail;

    public TokenizerFormatException(String field, String detail) {
        super(field + ": " + detail);
        this.field = field;
        this.detail = detail;
    }

    public String field() {
        return field;
    }

    public String detail() {
        return detail;
    }
}
