package dev.quokka.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        return new TrainConfig(StudyFixture.study(), output, objective, "32,1,2", 4 * StudyFixture.SEQ_LEN, 3e-3, 3e-4, "wsd", 0.01, 0.2,
                LrSchedule.Decay.EXPONENTIAL, AdamW.papers(), 0, 0, 16, 2, TrainConfig.Dlm.defaults(), 11, false, 0, null, null);
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
            assertEquals(steps, b.length);
            // Step 1 is the same batch at the same initial parameters: the mean of the halves' means is the mean.
            assertEquals(a[0], b[0], 1e-5, objective + ": first-step loss");
            for (int i = 0; i < steps; i++) {
                assertEquals(a[i], b[i], 0.02 * a[i], objective + ": loss at step " + (i + 1) + " (single " + a[i] + ", parallel " + b[i] + ")");
            }
        }
    }
}
