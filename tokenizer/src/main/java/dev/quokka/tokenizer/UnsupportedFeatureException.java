package dev.quokka.tokenizer;

/** A well-formed tokenizer.json field this library does not implement, named by its JSON path. */
public final class UnsupportedFeatureException extends TokenizerFormatException {
    public UnsupportedFeatureException(String field, String detail) {
        super(field, detail, field + ": unsupported " + detail);
    }

    @Override
    public UnsupportedFeatureException inFile(Object file) {
        return new UnsupportedFeatureException(file + ": " + field(), detail());
    }
}
