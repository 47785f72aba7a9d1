package dev.quokka.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quokka.training.nd4j.BatchedRuns;
import dev.quokka.training.nd4j.SameDiffEngine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unchanged Trainers, one per thread, sharing one batched engine (BatchedRuns): runs stay runs. */
@Tag("slow")
class BatchedTrainingTest {
    @TempDir Path tmp;

    private TrainConfig run(String name, String objective, long seed, double epochs) {
        return TrainerTest.tiny(tmp.resolve(name).toString(), objective).toBuilder().study(StudyFixture.smallStudy()).seed(seed).epochs(epochs).build();
    }

    /** Trains the runs as one batch, each on its own thread, as a sweep task does. */
    static List<Trainer.Summary> trainBatched(List<TrainConfig> runs) throws Exception {
        BatchedRuns batch = BatchedRuns.create(runs.size());
        ExecutorService threads = Executors.newFixedThreadPool(runs.size());
        try {
            List<Future<Trainer.Summary>> done = new ArrayList<>();
            for (int r = 0; r < runs.size(); r++) {
                int slot = r;
                done.add(threads.submit(() -> {
                    try {
                        return Trainer.run(runs.get(slot), batch.slot(slot), StudyFixture.conf(), 0, TrainerTest.QUIET);
                    } finally {
                        batch.leave(slot);
                    }
                }));
            }
            List<Trainer.Summary> out = new ArrayList<>();
            for (Future<Trainer.Summary> f : done) out.add(f.get());
            return out;
        } finally {
            threads.shutdownNow();
        }
    }

    /**
     * A run's metrics and checkpoints do not depend on its companions, bit for bit, even when they end earlier (and
     * leave the batch). Trained alone on the single-run engine it is also the same, bit for bit, on this CPU backend:
     * each run's slice goes through the same kernels as a model alone. That second equality is measured here, not
     * promised for other backends (docs/nd4j.md).
     */
    @Test
    void aRunsCurveDoesNotDependOnItsCompanions() throws Exception {
        TrainConfig a = run("a", "dlm", 11, 2);
        List<Trainer.Summary> first = trainBatched(List.of(a, run("b", "ar", 12, 2), run("c", "dlm", 13, 1)));
        TrainConfig a2 = run("a2", "dlm", 11, 2);
        trainBatched(List.of(run("d", "ar", 14, 0.5), a2));
        assertTrue(first.stream().allMatch(Trainer.Summary::complete));
        assertEquals(TrainerTest.losses(a, "train.csv", 4), TrainerTest.losses(a2, "train.csv", 4));
        assertEquals(Files.readAllLines(Path.of(a.output(), "metrics/eval.csv")), Files.readAllLines(Path.of(a2.output(), "metrics/eval.csv")));
        Path ckpts = Path.of(a.output(), "checkpoints");
        try (var list = Files.list(ckpts)) {
            for (Path c : list.toList()) {
                assertArrayEquals(Files.readAllBytes(c.resolve("state.bin")), Files.readAllBytes(Path.of(a2.output(), "checkpoints", c.getFileName().toString(), "state.bin")), c.toString());
            }
        }

        TrainConfig alone = run("alone", "dlm", 11, 2);
        Trainer.run(alone, SameDiffEngine::create, StudyFixture.conf(), 0, TrainerTest.QUIET);
        assertEquals(TrainerTest.losses(alone, "train.csv", 4), TrainerTest.losses(a, "train.csv", 4));
        assertEquals(Files.readAllLines(Path.of(alone.output(), "metrics/eval.csv")), Files.readAllLines(Path.of(a.output(), "metrics/eval.csv")));
    }

    /** A batched run resumes alone on the single-run engine from its checkpoint (the same state format). */
    @Test
    void aBatchedRunResumesAlone() throws Exception {
        TrainConfig a = run("a", "ar", 11, 2);
        BatchedRuns batch = BatchedRuns.create(1);
        Trainer.Summary part = Trainer.run(a, batch.slot(0), StudyFixture.conf(), 5, TrainerTest.QUIET);
        batch.leave(0);
        assertTrue(!part.complete());
        Trainer.Summary rest = Trainer.resume(a.output(), SameDiffEngine::create, StudyFixture.conf(), 0, TrainerTest.QUIET);
        assertTrue(rest.complete());
    }
}
