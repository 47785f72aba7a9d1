package dev.quokka.tokenizer;

/** A tokenizer.json field this library does not implement, named by its JSON path. */
public final class UnsupportedFeatureException extends IllegalArgumentException {
    private final String field;
    private final String detail;

    public UnsupportedFeatureException(String field, String detail) {
        super(field + ": unsupported " + detail);
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
