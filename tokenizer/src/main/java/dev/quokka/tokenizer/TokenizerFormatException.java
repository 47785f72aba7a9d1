package dev.quokka.tokenizer;

/** A malformed tokenizer.json or rank file; the message names the field (or line) that is wrong. */
public class TokenizerFormatException extends IllegalArgumentException {
    private final String field;
    private final String detail;

    public TokenizerFormatException(String field, String detail) {
        this(field, detail, field + ": " + detail);
    }

    TokenizerFormatException(String field, String detail, String message) {
        super(message);
        this.field = field;
        this.detail = detail;
    }

    public String field() {
        return field;
    }

    public String detail() {
        return detail;
    }

    /** The same error, located in a file. */
    public TokenizerFormatException inFile(Object file) {
        return new TokenizerFormatException(file + ": " + field, detail);
    }
}
