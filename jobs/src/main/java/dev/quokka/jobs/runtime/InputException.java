package dev.quokka.jobs.runtime;

/** Bad input, with the file and line it was found at. */
public final class InputException extends RuntimeException {
    public InputException(String where, String what) {
        super(where + ": " + what);
    }
}
