package dev.quokka.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The stop rule over a run's epoch-boundary losses. */
class StopRuleStateTest {
    static StopRuleState feed(TrainConfig.StopRule rule, double... losses) {
        StopRuleState s = new StopRuleState(rule);
        for (int e = 0; e < losses.length; e++) {
            s.observe(100L * (e + 1), e + 1, losses[e]);
            if (s.turned()) break;
        }
        return s;
    }

    @Test
    void itStopsOnceTheLossHasStayedAboveTheMarginForThePatience() {
        TrainConfig.StopRule rule = new TrainConfig.StopRule(0.01, 3);
        StopRuleState s = feed(rule, 6.0, 5.5, 5.2, 5.3, 5.4, 5.5, 5.6, 5.7);
        assertTrue(s.turned());
        assertEquals(3, s.bestEpoch());
        assertEquals(300, s.bestStep());
        assertEquals(6, s.lastEpoch(), "5.3, 5.4 and 5.5 are each more than 1% above 5.2: the third of them ends it");
    }

    @Test
    void noiseWithinTheMarginOrANewBestStartsTheCountAgain() {
        TrainConfig.StopRule rule = new TrainConfig.StopRule(0.01, 3);
        assertFalse(feed(rule, 6.0, 5.0, 5.04, 5.03, 5.045, 5.02, 5.049).turned(), "all within 1% of 5.0");
        assertFalse(feed(rule, 6.0, 5.0, 5.2, 5.2, 4.9, 5.0, 5.0).turned(), "two above, then a new best");
        assertFalse(feed(null, 6.0, 5.0, 7, 8, 9, 10).turned(), "no rule, no stop");
    }
}
