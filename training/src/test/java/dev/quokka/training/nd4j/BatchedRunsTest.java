package dev.quokka.training.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quokka.training.AdamW;
import dev.quokka.training.Engine;
import dev.quokka.training.ModelShape;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class BatchedRunsTest {
    static final ModelShape SHAPE = BatchedEngineTest.SHAPE;

    /** No run steps alone while a run of its batch has yet to take its first step: the batch steps together. */
    @Test
    void theFirstStepWaitsForEveryRun() throws Exception {
        BatchedRuns batch = BatchedRuns.create(2);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            Future<Long> early = threads.submit(() -> {
                Engine e = batch.slot(0).create(SHAPE, BatchedEngineTest.B, BatchedEngineTest.T, true, AdamW.papers(), 1);
                e.step(BatchedEngineTest.batch(BatchedEngineTest.AR, 1), 1e-3);
                batch.leave(0);
                return System.nanoTime();
            });
            Future<Long> late = threads.submit(() -> {
                Engine e = batch.slot(1).create(SHAPE, BatchedEngineTest.B, BatchedEngineTest.T, true, AdamW.papers(), 2);
                Thread.sleep(500);
                long arrived = System.nanoTime();
                e.step(BatchedEngineTest.batch(BatchedEngineTest.AR, 2), 1e-3);
                batch.leave(1);
                return arrived;
            });
            assertTrue(early.get() > late.get(), "the first run's step returned before the second run had arrived at it");
        } finally {
            threads.shutdownNow();
        }
    }

    /** Runs of a batch must share a shape; every run is told why, and none waits forever. */
    @Test
    void runsOfAnotherShapeAreRefused() throws Exception {
        BatchedRuns batch = BatchedRuns.create(2);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            Future<Engine> a = threads.submit(() -> batch.slot(0).create(SHAPE, 3, 5, true, AdamW.papers(), 1));
            Future<Engine> b = threads.submit(() -> batch.slot(1).create(new ModelShape(11, 16, 2, 2, 12, false), 3, 5, true, AdamW.papers(), 2));
            for (Future<Engine> f : java.util.List.of(a, b)) {
                ExecutionException e = assertThrows(ExecutionException.class, f::get);
                assertTrue(e.getCause().getMessage().startsWith("the runs of a batch share a shape and batch"), e.getCause().getMessage());
            }
        } finally {
            threads.shutdownNow();
        }
    }

    /** A slot that leaves before making its engine does not hold the others back. */
    @Test
    void aSlotThatNeverStartsLeavesTheOthersToTrain() throws Exception {
        BatchedRuns batch = BatchedRuns.create(2);
        batch.leave(1);
        Engine e = batch.slot(0).create(SHAPE, 3, 5, true, AdamW.papers(), 1);
        e.step(BatchedEngineTest.batch(BatchedEngineTest.AR, 1), 1e-3);
        assertEquals(1, e.updates());
        batch.leave(0);
    }
}
