package dev.quokka.training;

/**
 * Which steps of a run keep a checkpoint. As a matter of course (regular): epoch boundaries with
 * {@code --checkpoint-epochs} and every {@code --checkpoint-every} steps. Besides: where a warmup-stable-decay run's
 * decay begins, its last stable step, from which it can be extended or branched; the stop rule's best epoch, while it
 * is the best; and the end of every session, so that it can be resumed.
 */
record CheckpointPolicy(TrainConfig cfg, long totalSteps) {

    boolean regular(long step, boolean boundary) {
        return (boundary && cfg.checkpoints().epochs()) || (cfg.checkpoints().every() > 0 && step % cfg.checkpoints().every() == 0);
    }

    boolean decayStart(long step) {
        long decayStart = cfg.decayStart(totalSteps);
        return step == decayStart && decayStart < totalSteps;
    }

    /** Whether the step keeps a checkpoint that outlives a newer best epoch of the stop rule. */
    boolean keeps(long step, boolean boundary) {
        return regular(step, boundary) || decayStart(step);
    }

    /** Whether the step saves one: kept, the stop rule's new best, or the session's end. */
    boolean saves(long step, boolean boundary, boolean newBest, long sessionEnd) {
        return keeps(step, boundary) || (newBest && cfg.stop() != null) || step == sessionEnd;
    }

    /** Whether the stop rule's previous best epoch's checkpoint goes when a new best supersedes it. */
    boolean dropsSupersededBest(long previousBest) {
        return cfg.stop() != null && previousBest > 0 && !keeps(previousBest, true);
    }
}
