package dev.quokka.training.spark;

import org.nd4j.linalg.schedule.ISchedule;

/**
 * The learning rates of one averaging round, by global step: the trainer's schedule, handed to DL4J's Adam. The
 * driver sets it before each round; workers get it with the network's configuration.
 */
final class RoundSchedule implements ISchedule {
    private long firstStep;
    private double[] lrs = {0};

    void set(long firstStep, double[] lrs) {
        this.firstStep = firstStep;
        this.lrs = lrs.clone();
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        long i = iteration - firstStep;
        if (i < 0 || i >= lrs.length) {
            throw new IllegalStateException("step " + iteration + " is outside the round of steps " + firstStep + ".." + (firstStep + lrs.length - 1));
        }
        return lrs[(int) i];
    }

    @Override
    public ISchedule clone() {
        RoundSchedule c = new RoundSchedule();
        c.set(firstStep, lrs);
        return c;
    }
}
