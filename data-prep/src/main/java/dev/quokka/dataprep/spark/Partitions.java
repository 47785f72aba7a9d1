package dev.quokka.dataprep.spark;

/**
 * How many partitions (and so output files) a job splits work into. Every job sizes them by its data, so the files
 * do not depend on the cluster's cores (outputs are byte-identical on local[1] and on a cluster), within one clamp:
 * at least one, and at most {@link #MAX}, which keeps the driver's task and file lists small at any corpus size.
 */
public final class Partitions {
    public static final int MAX = 4096;

    private Partitions() {}

    /** {@code wanted} clamped to [1, {@link #MAX}]. */
    public static int clamp(long wanted) {
        return (int) Math.max(1, Math.min(MAX, wanted));
    }

    /** One partition per {@code per} units of {@code total}, rounded up, clamped. */
    public static int perUnits(long total, long per) {
        return clamp((total + per - 1) / per);
    }
}
