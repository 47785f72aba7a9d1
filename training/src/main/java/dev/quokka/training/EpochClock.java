package dev.quokka.training;

import dev.quokka.dataprep.study.SequenceSource;


/**
 * Where the epochs of a study begin, in training-order sequences, and the fractional epoch after any number of
 * sequences: k plus the share of a full epoch's sequences done in epoch k.
 */
public final class EpochClock {
    private final long[] first; // first sequence of each epoch, then the total

    public EpochClock(SequenceSource source) {
        long n = source.sequences();
        int epochs = n == 0 ? 0 : source.epochOf(n - 1) + 1;
        first = new long[epochs + 1];
        for (int k = 1; k < epochs; k++) {
            long lo = first[k - 1], hi = n - 1; // smallest j with epochOf(j) >= k
            while (lo < hi) {
                long mid = (lo + hi) >>> 1;
                if (source.epochOf(mid) >= k) hi = mid;
                else lo = mid + 1;
            }
            first[k] = lo;
        }
        first[epochs] = n;
    }

    /** Epochs that begin in the study, the last possibly partial. */
    public int epochs() {
        return first.length - 1;
    }

    /** The first sequence of epoch k (k = epochs() gives the total). */
    public long firstSequence(int k) {
        return first[k];
    }

    /** Epochs done after {@code sequences} sequences, counting in full epochs' lengths. */
    public double epochsAfter(long sequences) {
        int k = 0;
        while (k + 1 < first.length - 1 && first[k + 1] <= sequences) k++;
        long full = first.length > 2 ? first[1] - first[0] : first[first.length - 1];
        return k + (double) (sequences - first[k]) / Math.max(1, full);
    }

    /** The epoch boundaries (ends of epochs 1, 2, ...) crossed while going from {@code before} to {@code after} sequences. */
    public int boundariesCrossed(long before, long after) {
        int c = 0;
        for (int k = 1; k < first.length; k++) if (first[k] > before && first[k] <= after) c++;
        return c;
    }

    /**
     * As {@link #boundariesCrossed}, and on a run's last step also the end of a whole epoch that lies less than one
     * step ahead: a run trains whole steps, so the few sequences after its last step are never trained, and without
     * this the final epoch of every run would go unmarked.
     */
    public int boundariesCrossed(long before, long after, boolean lastStep) {
        int c = boundariesCrossed(before, after);
        if (!lastStep) return c;
        long step = after - before, full = first.length > 2 ? first[1] - first[0] : first[first.length - 1];
        for (int k = 1; k < first.length; k++) {
            boolean whole = first[k] - first[k - 1] >= 0.99 * full; // epochs differ by a few sequences in their packing
            if (first[k] > after && first[k] < after + step && whole) c++;
        }
        return c;
    }
}
