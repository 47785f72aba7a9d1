package dev.quokka.dataprep.provenance;

/**
 * An output is already there and was not made by this request, and the job was not told to replace it. Callers that
 * have no --overwrite of their own (a whole study) catch it to give their own advice.
 */
public final class OutputExistsException extends IllegalArgumentException {
    private final String target;

    public OutputExistsException(String target, boolean complete) {
        super(target + " exists" + (complete ? " and was made from other inputs or settings" : "") + "; use --overwrite to replace it");
        this.target = target;
    }

    public String target() {
        return target;
    }
}
