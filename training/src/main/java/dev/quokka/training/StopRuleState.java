package dev.quokka.training;

/**
 * The stop rule's view of a run ({@link TrainConfig.StopRule}): its best loss at an epoch boundary so far, and how
 * many boundaries have passed since a loss was within the rule's margin of it. It sees only boundary evaluations,
 * in order, so a resumed run rebuilds it from its kept rows and stops where an uninterrupted one would.
 */
final class StopRuleState {
    private final TrainConfig.StopRule rule;
    private double best = Double.NaN, bestEpoch = Double.NaN, lastEpoch = Double.NaN;
    private long bestStep = -1;
    private int above;

    StopRuleState(TrainConfig.StopRule rule) {
        this.rule = rule;
    }

    /** Sees a boundary's loss; whether it is a new best. */
    boolean observe(long step, double epoch, double loss) {
        lastEpoch = epoch;
        boolean better = Double.isNaN(best) || loss < best;
        if (better) {
            best = loss;
            bestEpoch = epoch;
            bestStep = step;
        }
        above = rule != null && rule.above(loss, best) ? above + 1 : 0;
        return better;
    }

    /** The rule has fired: the loss stayed above the margin for {@code patience} boundaries. */
    boolean turned() {
        return rule != null && above >= rule.patience();
    }

    long bestStep() {
        return bestStep;
    }

    double bestEpoch() {
        return bestEpoch;
    }

    double best() {
        return best;
    }

    double lastEpoch() {
        return lastEpoch;
    }
}
