package dev.quokka.dataprep.format;

/**
 * The constants of a study's on-disk format (docs/formats.md), shared by the job that writes studies
 * ({@code shard.ShardJob}), the one that proves them ({@code verify.VerifyJob}) and the readers training uses
 * ({@code study}), so that none of them reaches into another for them.
 */
public final class StudyFormat {
    /** The manifest's {@code format}. */
    public static final String FORMAT = "quokka.study/1";
    /** Validation documents are those whose id, mixed with this salt, falls below the validation threshold. */
    public static final long VALIDATION_SALT = 0x5641_4C49_44L;
    /** The subdirectory of a study's materialized sequences ({@code --materialize}). */
    public static final String SEQUENCES_DIR = "sequences";

    private StudyFormat() {}
}
