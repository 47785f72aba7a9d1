package dev.quokka.training;

/**
 * K runs trained at once, each by its own {@link Trainer} on its own thread, through one engine: slot r's run gets its
 * engine from {@link #slot}, and {@link #leave}s when it is done, stopped or failed, so that the others stop waiting
 * for it. Made by {@code training.engines.Engines.batched}.
 */
public interface RunBatch {
    /** The engine factory of the run in slot {@code r}. */
    Trainer.EngineFactory slot(int r);

    /** Slot {@code r}'s run trains no more. Safe to call more than once, and for a slot that never made its engine. */
    void leave(int r);
}
