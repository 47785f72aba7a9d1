package dev.quokka.jobs;

/** Bad input, with the file and line it was found at. */
final class InputException extends RuntimeException {
    InputException(String where, String what) {
        super(where + ": " + what);
    }
}
