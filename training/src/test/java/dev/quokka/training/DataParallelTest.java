package dev.quokka.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.quokka.training.nd4j.SameDiffEngine;
import dev.quokka.training.spark.DataParallelEngine;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One model over two Spark workers (DL4J parameter averaging) against the same run in one process. */
@Tag("slow")
class DataParallelTest {
    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
    static JavaSparkContext sc;
    @TempDir Path tmp;

    @BeforeAll
    static void spark() {
        StudyFixture.dir(); // the shared local[2] session is made there
        sc = JavaSparkContext.fromSparkContext(SparkSession.active().sparkContext());
    }

    static TrainConfig run(String output, String objective) {
        return TrainConfig.builder(StudyFixture.study(), output, objective, "32,1,2", 4 * StudyFixture.SEQ_LEN).lr(3e-3).minLr(3e-4)
                .schedule("wsd").warmup(0.01).decayFraction(0.2).valSequences(16).valSamples(2).seed(11).build();
    }

    static Trainer.EngineFactory twoWorkers(int frequency) {
        return DataParallelEngine.factory(sc, new DataParallelEngine.Options(2, frequency, 0, 1));
    }

    static double[] column(TrainConfig cfg, String csv, int column) throws IOException {
        return Files.readAllLines(Path.of(cfg.output(), "metrics", csv)).stream().skip(1)
                .mapToDouble(l -> Double.parseDouble(l.split(",")[column])).toArray();
    }

    @Test
    void twoWorkersTrackTheSingleProcessRunStepByStep() throws IOException {
        for (String objective : List.of("ar", "dlm")) {
            TrainConfig single = run(tmp.resolve(objective + "-single").toString(), objective);
            TrainConfig parallel = run(tmp.resolve(objective + "-parallel").toString(), objective);
            long steps = 24;
            Trainer.run(single, SameDiffEngine::create, StudyFixture.conf(), steps, QUIET);
            Trainer.run(parallel, twoWorkers(1), StudyFixture.conf(), steps, QUIET);
            double[] a = column(single, "train.csv", 4), b = column(parallel, "train.csv", 4);
            double[] na = column(single, "train.csv", 5), nb = column(parallel, "train.csv", 5);
            assertEquals(steps, b.length);
            // Step 1 is the same batch at the same initial parameters: the mean of the halves' means is the mean.
            assertEquals(a[0], b[0], 1e-5, objective + ": first-step loss");
            // Synchronous steps are the single-process step; only float rounding differs (the gradient travels as p - g).
            for (int i = 0; i < steps; i++) {
                assertEquals(a[i], b[i], 1e-4 * a[i], objective + ": loss at step " + (i + 1) + " (single " + a[i] + ", parallel " + b[i] + ")");
                assertEquals(na[i], nb[i], 1e-3 * na[i], objective + ": gradient norm at step " + (i + 1));
            }
        }
    }

    @Test
    void aResumedRunContinuesBitForBitAndTheCheckpointIsTheSingleProcessFormat() throws IOException {
        TrainConfig whole = run(tmp.resolve("whole").toString(), "dlm");
        TrainConfig parts = run(tmp.resolve("parts").toString(), "dlm");
        long n = 5;
        Trainer.run(whole, twoWorkers(1), StudyFixture.conf(), 2 * n, QUIET);
        Trainer.run(parts, twoWorkers(1), StudyFixture.conf(), n, QUIET);
        Trainer.resume(parts.output(), twoWorkers(1), StudyFixture.conf(), 2 * n, QUIET);
        assertArrayEquals(column(whole, "train.csv", 4), column(parts, "train.csv", 4));
        assertArrayEquals(column(whole, "eval.csv", 4), column(parts, "eval.csv", 4));
        String last = String.format("checkpoints/step-%08d/state.bin", 2 * n);
        assertArrayEquals(Files.readAllBytes(Path.of(whole.output(), last)), Files.readAllBytes(Path.of(parts.output(), last)));

        // The same checkpoint continues in one process.
        Trainer.Summary single = Trainer.resume(parts.output(), SameDiffEngine::create, StudyFixture.conf(), 2 * n + 2, QUIET);
        assertEquals(2 * n + 2, single.steps());
        double[] losses = column(parts, "train.csv", 4);
        assertEquals(losses[(int) (2 * n) - 1], losses[(int) (2 * n) + 1], 0.2, "the single-process steps continue where the workers stopped");
    }

    @Test
    void prefetchingWorkersTrainTheSameSteps() throws IOException {
        TrainConfig plain = run(tmp.resolve("plain").toString(), "dlm");
        TrainConfig prefetched = run(tmp.resolve("prefetched").toString(), "dlm");
        long steps = 6;
        Trainer.run(plain, twoWorkers(2), StudyFixture.conf(), steps, QUIET);
        Trainer.run(prefetched, DataParallelEngine.factory(sc, new DataParallelEngine.Options(2, 2, 2, 1)), StudyFixture.conf(), steps, QUIET);
        assertArrayEquals(column(plain, "train.csv", 4), column(prefetched, "train.csv", 4));
        assertArrayEquals(column(plain, "eval.csv", 4), column(prefetched, "eval.csv", 4));
    }

    @Test
    void roundsOfSeveralLocalStepsEndWhereTheRunEvaluates() throws IOException {
        TrainConfig single = run(tmp.resolve("single").toString(), "ar");
        TrainConfig rounds = run(tmp.resolve("rounds").toString(), "ar");
        rounds = rounds.toBuilder().evalEvery(5).checkpointEpochs(false).checkpointEvery(0).build();
        long steps = 20;
        Trainer.run(single, SameDiffEngine::create, StudyFixture.conf(), steps, QUIET);
        List<Integer> sizes = new java.util.ArrayList<>();
        Trainer.EngineFactory recorded = (shape, rows, length, causal, adamW, seed) -> {
            Engine e = twoWorkers(3).create(shape, rows, length, causal, adamW, seed);
            return new Engine() {
                @Override public ModelShape shape() { return e.shape(); }
                @Override public int rows() { return e.rows(); }
                @Override public int length() { return e.length(); }
                @Override public int stepsPerRound() { return e.stepsPerRound(); }
                @Override public Step step(Batch batch, double lr) { return e.step(batch, lr); }
                @Override public double lossSum(Batch batch) { return e.lossSum(batch); }
                @Override public float[] logits(int[] inputs) { return e.logits(inputs); }
                @Override public long updates() { return e.updates(); }
                @Override public void save(java.io.DataOutputStream out) throws IOException { e.save(out); }
                @Override public void load(java.io.DataInputStream in) throws IOException { e.load(in); }

                @Override
                public List<Step> steps(List<Batch> batches, double[] lrs) {
                    sizes.add(batches.size());
                    return e.steps(batches, lrs);
                }
            };
        };
        Trainer.run(rounds, recorded, StudyFixture.conf(), steps, QUIET);
        assertEquals(List.of(3, 2, 3, 2, 3, 2, 3, 2), sizes, "rounds of 3 that end at every evaluation");
        double[] a = column(single, "train.csv", 4), b = column(rounds, "train.csv", 4);
        assertEquals(steps, b.length);
        assertArrayEquals(new double[] {0, 5, 10, 15, 20}, column(rounds, "eval.csv", 0));
        for (int i = 0; i < steps; i++) assertEquals(a[i], b[i], 0.03 * a[i], "loss at step " + (i + 1));
    }
}
