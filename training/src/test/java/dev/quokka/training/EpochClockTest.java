package dev.quokka.training;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.quokka.dataprep.study.SequenceSource;
import org.junit.jupiter.api.Test;

class EpochClockTest {
    /** Epochs of 10, 11 and 10 sequences, then half an epoch of 5: boundaries at 10, 21, 31 and the end, 36. */
    static final EpochClock CLOCK = new EpochClock(new SequenceSource() {
        final long[] first = {0, 10, 21, 31, 36};

        public long sequences() {
            return 36;
        }

        public int window() {
            return 2;
        }

        public int epochOf(long j) {
            int k = 0;
            while (first[k + 1] <= j) k++;
            return k;
        }

        public void read(long j, int[] out) {}
    });

    @Test
    void boundariesAreCrossedWhereEpochsEnd() {
        assertEquals(1, CLOCK.boundariesCrossed(8, 12));
        assertEquals(0, CLOCK.boundariesCrossed(12, 16));
        assertEquals(2, CLOCK.boundariesCrossed(8, 24));
        assertEquals(3.0, CLOCK.epochsAfter(31), 1e-12);
    }

    @Test
    void theLastStepEndsAWholeEpochLessThanAStepAhead() {
        assertEquals(0, CLOCK.boundariesCrossed(24, 28, false));
        assertEquals(1, CLOCK.boundariesCrossed(24, 28, true), "31 is 3 sequences after a last step of 4");
        assertEquals(0, CLOCK.boundariesCrossed(20, 24, true) - CLOCK.boundariesCrossed(20, 24), "31 is more than a step away");
        assertEquals(0, CLOCK.boundariesCrossed(30, 34, true) - CLOCK.boundariesCrossed(30, 34), "the half epoch ending at 36 is not whole");
    }
}
