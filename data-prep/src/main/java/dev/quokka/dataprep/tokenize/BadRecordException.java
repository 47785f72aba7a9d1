package dev.quokka.dataprep.tokenize;

/** A bad input record in strict mode; the message names the file, the position and the reason. */
public final class BadRecordException extends RuntimeException {
    public BadRecordException(String message) {
        super(message);
    }
}
