package dev.quokka.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quokka.jobs.study.SweepJob;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The determinism contract across processes (README, "Determinism"): for a fixed config and seed, on CPU with the
 * same thread count (one here), every run below ends byte-identical, in its metrics (but for the timing column) and
 * in every checkpoint's state, to the same run made uninterrupted in another JVM:
 * <ul>
 *   <li>two fresh {@code quokka train} processes, DLM and AR;</li>
 *   <li>a run stopped with {@code --stop-after}, and one killed with SIGKILL after a checkpoint, each resumed in a
 *   new process;</li>
 *   <li>a sweep run whose executor JVM halts mid-run on a standalone cluster, retried by Spark on a new executor;</li>
 *   <li>a {@code --data-parallel} run stopped and resumed in a new process.</li>
 * </ul>
 * Before the initial weights came from {@link dev.quokka.training.SeededNormal}, every one of these failed at step 0.
 */
@Tag("slow")
class ProcessDeterminismTest {
    @TempDir static Path dir;
    static Path docs, tokenizer, study;
    static final int MINUTES = 5;

    /** 4 epochs of U = 8k tokens in windows of 33: 31 steps of 8 sequences an epoch, a checkpoint every 10. */
    static String[] train(String objective, String output, String... more) {
        return train(objective, 4, output, more);
    }

    static String[] train(String objective, int epochs, String output, String... more) {
        List<String> args = new ArrayList<>(List.of("train", "--study", study.toString(), "--objective", objective, "--model", "32,1,2",
                "--batch-tokens", "256", "--lr", "3e-3", "--schedule", "wsd", "--epochs", Integer.toString(epochs), "--eval-every", "10",
                "--checkpoint-every", "10", "--val-sequences", "16", "--val-samples", "2", "--output", dir.resolve(output).toString()));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    @BeforeAll
    static void studyAndReferenceRuns() throws Exception {
        Path text = dir.resolve("english.txt");
        tokenizer = JobFixtures.tokenizer(JobFixtures.english(), 512, text, dir.resolve("tokenizer.json"));
        docs = dir.resolve("docs");
        study = dir.resolve("study");
        JobFixtures.tokenize(text, tokenizer, docs);
        ok(CliTest.run("shard", "--master", "local[2]", "--docs", docs.toString(), "--unique-tokens", "8000", "--epochs", "4", "--seq-len", "32",
                "--seed", "1", "--val-fraction", "0.1", "--output", study.toString()));

        // The references, two processes at a time on the two cores.
        QuokkaProcess dlm = QuokkaProcess.start(log("dlm-a"), Map.of(), train("dlm", "dlm-a"));
        QuokkaProcess ar = QuokkaProcess.start(log("ar-a"), Map.of(), train("ar", "ar-a"));
        assertEquals(0, dlm.waitFor(MINUTES), dlm.output());
        assertEquals(0, ar.waitFor(MINUTES), ar.output());
    }

    @Test
    void twoFreshRunsAreByteIdentical() throws Exception {
        QuokkaProcess dlm = QuokkaProcess.start(log("dlm-b"), Map.of(), train("dlm", "dlm-b"));
        QuokkaProcess ar = QuokkaProcess.start(log("ar-b"), Map.of(), train("ar", "ar-b"));
        assertEquals(0, dlm.waitFor(MINUTES), dlm.output());
        assertEquals(0, ar.waitFor(MINUTES), ar.output());
        assertSameRun(dir.resolve("dlm-a"), dir.resolve("dlm-b"));
        assertSameRun(dir.resolve("ar-a"), dir.resolve("ar-b"));
    }

    @Test
    void aRunStoppedAndResumedInANewProcessEqualsTheUninterruptedOne() throws Exception {
        QuokkaProcess.runOk(log("dlm-stopped-1"), MINUTES, train("dlm", "dlm-stopped", "--stop-after", "37"));
        assertEquals("stopped", manifest(dir.resolve("dlm-stopped")).path("status").asText());
        QuokkaProcess.runOk(log("dlm-stopped-2"), MINUTES, "train", "--resume", "--output", dir.resolve("dlm-stopped").toString());
        assertSessionsInTwoProcesses(dir.resolve("dlm-stopped"), 37);
        assertSameRun(dir.resolve("dlm-a"), dir.resolve("dlm-stopped"));
    }

    @Test
    void aRunKilledAfterACheckpointAndResumedInANewProcessEqualsTheUninterruptedOne() throws Exception {
        Path run = dir.resolve("dlm-killed");
        QuokkaProcess p = QuokkaProcess.start(log("dlm-killed-1"), Map.of(), train("dlm", "dlm-killed"));
        Path checkpoint = run.resolve("checkpoints/step-00000020");
        long deadline = System.currentTimeMillis() + MINUTES * 60_000L;
        while (!Files.exists(checkpoint) && p.isAlive() && System.currentTimeMillis() < deadline) Thread.sleep(10);
        p.kill();
        assertTrue(Files.exists(checkpoint), "the run reached its checkpoint: " + p.output());
        assertEquals("running", manifest(run).path("status").asText(), "killed before the end, as a crash would leave it");
        long resumedFrom = dev.quokka.training.Trainer.checkpointedStep(run.toString(), new org.apache.hadoop.conf.Configuration());
        assertTrue(resumedFrom >= 20 && resumedFrom < 124, "resumes from a checkpoint inside the run: " + resumedFrom);

        QuokkaProcess.runOk(log("dlm-killed-2"), MINUTES, "train", "--resume", "--output", run.toString());
        assertSessionsInTwoProcesses(run, resumedFrom);
        assertSameRun(dir.resolve("dlm-a"), run);
    }

    /**
     * The sweep's task dies with its executor JVM (halted before step 25, after the checkpoint at 20) on a standalone
     * cluster; Spark retries it on the executor the worker starts next, which resumes the run from its checkpoint.
     * The reference is the same sweep in local mode, in another process.
     */
    @Test
    void aSweepRunRetriedOnAnotherExecutorEqualsTheUninterruptedOne() throws Exception {
        Path spec = dir.resolve("sweep.yaml");
        Files.writeString(spec, """
                docs: %s
                tokenizer: %s
                seed: 0
                seq_len: 32
                val_fraction: 0.1
                grid: {objectives: [dlm], models: ["32,1,2"], unique_tokens: [8k], epochs: [2]}
                train: {batch-tokens: 256, lr: 3e-3, schedule: wsd, checkpoint-every: 10, eval-every: 10, val-sequences: 16, val-samples: 2}
                """.formatted(docs, tokenizer));
        String name = "dlm-32x1x2-U8k-e2-s0";
        QuokkaProcess.runOk(log("sweep-local"), MINUTES, "sweep", "--master", "local[1]", "--spec", spec.toString(),
                "--output", dir.resolve("sweep-local").toString());

        try (StandaloneCluster cluster = StandaloneCluster.start(dir.resolve("cluster"), 1)) {
            QuokkaProcess sweep = QuokkaProcess.start(log("sweep-cluster"), Map.of(), cluster.driverOptions(), "sweep", "--master", cluster.master,
                    "--spec", spec.toString(), "--output", dir.resolve("sweep-cluster").toString(), "--inject-fault", name + "@25:halt");
            assertEquals(0, sweep.waitFor(MINUTES), sweep.output());
            assertTrue(sweep.output().contains("ExecutorLostFailure") || !cluster.executorLog("").isEmpty(), sweep.output());
        }
        Path run = dir.resolve("sweep-cluster/runs").resolve(name);
        assertSessionsInTwoProcesses(run, 20);
        assertSameRun(dir.resolve("sweep-local/runs").resolve(name), run);
    }

    @Test
    void aDataParallelRunResumedInANewProcessEqualsTheUninterruptedOne() throws Exception {
        String[] dp = {"--data-parallel", "2", "--master", "local[2]"};
        QuokkaProcess whole = QuokkaProcess.start(log("dp-a"), Map.of(), concat(train("dlm", 1, "dp-a"), dp));
        QuokkaProcess.runOk(log("dp-stopped-1"), MINUTES, concat(train("dlm", 1, "dp-stopped", "--stop-after", "15"), dp));
        assertEquals(0, whole.waitFor(MINUTES), whole.output());
        QuokkaProcess.runOk(log("dp-stopped-2"), MINUTES, "train", "--resume", "--data-parallel", "2", "--master", "local[2]",
                "--output", dir.resolve("dp-stopped").toString());
        assertSessionsInTwoProcesses(dir.resolve("dp-stopped"), 15);
        JsonNode sessions = manifest(dir.resolve("dp-stopped")).path("sessions");
        assertTrue(sessions.get(1).path("engine").path("kind").asText().startsWith("data-parallel"), sessions.toString());
        assertSameRun(dir.resolve("dp-a"), dir.resolve("dp-stopped"));
    }

    /**
     * A warmup-stable run to 2 epochs, extended to 4 in a second process, ends as a run trained to 4 from the start in
     * a third: the same metrics, the same checkpoints (no more, no fewer) with the same states. The old decay is kept as
     * an anneal branch of the step where it began.
     */
    @Test
    void anExtendedRunEqualsOneTrainedToItsNewEndFromTheStart() throws Exception {
        Path ext = dir.resolve("dlm-extended"), ref = dir.resolve("dlm-to4");
        QuokkaProcess whole = QuokkaProcess.start(log("dlm-to4"), Map.of(), train("dlm", 4, "dlm-to4", "--warmup-steps", "5", "--checkpoint-epochs"));
        QuokkaProcess.runOk(log("dlm-extended-1"), MINUTES, train("dlm", 2, "dlm-extended", "--warmup-steps", "5", "--checkpoint-epochs"));
        JsonNode before = manifest(ext);
        QuokkaProcess.runOk(log("dlm-extended-2"), MINUTES, "train", "--extend-to", "4", "--output", ext.toString());
        assertEquals(0, whole.waitFor(MINUTES), whole.output());
        assertSameRun(ref, ext);
        assertEquals(checkpoints(ref), checkpoints(ext), "the extended run keeps exactly the checkpoints of the run made to 4");

        Path branch = ext.resolve("branches/decay-e2");
        JsonNode b = manifest(branch);
        long decayStart = b.path("parent").path("fromStep").asLong();
        long steps = before.path("plan").path("steps").asLong();
        assertEquals(steps - Math.round(0.1 * steps), decayStart, "the branch starts where the old decay did");
        assertEquals("complete", b.path("status").asText());
        assertEquals(before.path("final").path("val_loss"), b.path("final").path("val_loss"), "the old end is the branch's end");
        List<String> rows = Files.readAllLines(branch.resolve("metrics/eval.csv"));
        assertTrue(rows.size() > 1 && rows.stream().skip(1).allMatch(r -> Long.parseLong(r.split(",")[0]) > decayStart), rows.toString());
        assertTrue(Files.exists(branch.resolve("checkpoints").resolve(String.format("step-%08d", decayStart))), "the step it branches from");
        JsonNode extensions = manifest(ext).path("extensions");
        assertEquals(1, extensions.size(), extensions.toString());
        assertEquals(decayStart, extensions.get(0).path("from_step").asLong());
    }

    /**
     * Byte-identical validation curves, training curves (but for tokens/s, a timing), the same checkpoints with the
     * same parameters and Adam moments, and the same final figures.
     */
    static void assertSameRun(Path expected, Path actual) throws IOException {
        assertEquals("complete", manifest(expected).path("status").asText());
        assertEquals("complete", manifest(actual).path("status").asText());
        assertEquals(Files.readString(expected.resolve("metrics/eval.csv")), Files.readString(actual.resolve("metrics/eval.csv")), actual + " eval.csv");
        assertEquals(withoutTiming(expected.resolve("metrics/train.csv")), withoutTiming(actual.resolve("metrics/train.csv")), actual + " train.csv");
        List<String> checkpoints = checkpoints(expected);
        assertTrue(checkpoints.size() >= 2, "checkpoints to compare: " + checkpoints);
        // A session ended by --stop-after adds its own checkpoint; every regular one must be there too.
        assertTrue(checkpoints(actual).containsAll(checkpoints), checkpoints(actual) + " holds " + checkpoints);
        for (String c : checkpoints) {
            assertArrayEquals(Files.readAllBytes(expected.resolve("checkpoints").resolve(c).resolve("state.bin")),
                    Files.readAllBytes(actual.resolve("checkpoints").resolve(c).resolve("state.bin")), actual + " " + c + "/state.bin");
        }
        JsonNode a = manifest(expected).path("final"), b = manifest(actual).path("final");
        for (String f : List.of("step", "tokens", "epoch", "train_loss", "val_loss", "best_val_loss", "flops")) {
            assertEquals(a.path(f), b.path(f), "final." + f);
        }
    }

    /** Every session of the run, in order, from a different process; the second starting where the first checkpointed. */
    static void assertSessionsInTwoProcesses(Path run, long resumedAt) throws IOException {
        JsonNode sessions = manifest(run).path("sessions");
        assertEquals(2, sessions.size(), sessions.toString());
        assertEquals(0, sessions.get(0).path("from_step").asLong());
        assertEquals(resumedAt, sessions.get(1).path("from_step").asLong(), sessions.toString());
        assertNotEquals(sessions.get(0).path("process").asText(), sessions.get(1).path("process").asText(), sessions.toString());
    }

    private static List<String> withoutTiming(Path csv) throws IOException {
        return Files.readAllLines(csv).stream().map(l -> l.substring(0, l.lastIndexOf(','))).toList();
    }

    private static List<String> checkpoints(Path run) throws IOException {
        try (Stream<Path> s = Files.list(run.resolve("checkpoints"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("step-")).sorted().toList();
        }
    }

    static JsonNode manifest(Path run) throws IOException {
        return SweepJob.JSON.readTree(run.resolve("run.json").toFile());
    }

    private static Path log(String name) {
        return dir.resolve("logs").resolve(name + ".log");
    }

    private static String[] concat(String[] a, String[] b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }

    private static void ok(CliTest.Result r) {
        assertEquals(0, r.code(), r.err());
    }
}
