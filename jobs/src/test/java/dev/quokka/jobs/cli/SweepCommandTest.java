package dev.quokka.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quokka.jobs.CliTest;
import dev.quokka.jobs.JobFixtures;
import dev.quokka.jobs.runtime.SparkSessions;
import dev.quokka.jobs.study.SweepJob;
import dev.quokka.training.export.SafetensorsExport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep of 8 runs (dlm and ar x 2 shapes x 2 U) in local[2] on real English text, end to end from the corpus; a rerun
 * that trains nothing; a task killed partway and retried by Spark from its checkpoint, ending bit for bit where the
 * uninterrupted run ended; and a run that keeps failing, reported with its reason and finished by the next sweep.
 */
@Tag("slow")
class SweepCommandTest {
    @TempDir static Path dir;
    static Path spec;
    static final String FAULTY = "dlm-32x1x2-U8k-e2-s3";

    @BeforeAll
    static void sweep() throws IOException {
        JobFixtures.tokenizer(JobFixtures.english(), 512, dir.resolve("english.txt"), dir.resolve("tokenizer.json"));
        spec = dir.resolve("sweep.yaml");
        Files.writeString(spec, """
                corpus: {input: %s, format: lines}
                tokenizer: %s
                seed: 3
                seq_len: 32
                val_fraction: 0.1
                grid:
                  objectives: [dlm, ar]
                  models: ["16,1,2", "32,1,2"]
                  unique_tokens: [4k, 8k]
                  epochs: [2]
                train: {batch-tokens: 256, lr: 3e-3, schedule: wsd, checkpoint-every: 10, val-sequences: 8, val-samples: 2}
                """.formatted(dir.resolve("english.txt"), dir.resolve("tokenizer.json")));
        SparkSessions.stop(); // the sweep makes its own session: local[2] with task retries
        assertEquals(0, sweep("whole").code());
    }

    static CliTest.Result sweep(String output, String... more) {
        List<String> args = new ArrayList<>(List.of("sweep", "--master", "local[2]", "--spec", spec.toString(), "--output", dir.resolve(output).toString()));
        args.addAll(List.of(more));
        return CliTest.run(args.toArray(String[]::new));
    }

    @Test
    void eightRunsCompleteAndARerunTrainsNothing() throws IOException {
        List<Map<String, String>> rows = summary("whole");
        assertEquals(8, rows.size());
        for (Map<String, String> r : rows) {
            assertEquals("complete", r.get("status"), r.toString());
            assertEquals("trained", r.get("action"), r.toString());
            assertTrue(Double.parseDouble(r.get("val_loss")) < Math.log(512), "every run learned something: " + r);
            JsonNode m = SweepJob.JSON.readTree(dir.resolve("whole/runs").resolve(r.get("run")).resolve("run.json").toFile());
            assertEquals(Long.parseLong(r.get("N")), m.path("model").path("papers_n").asLong());
            assertEquals(r.get("U"), Long.toString(m.path("study").path("unique_tokens").asLong()));
        }
        assertEquals(2, Files.list(dir.resolve("whole/studies")).count(), "one study per U");
        assertEquals("complete", SweepJob.JSON.readTree(dir.resolve("whole/sweep.json").toFile()).path("status").asText());

        Map<Path, byte[]> before = files(dir.resolve("whole/runs"));
        assertEquals(0, sweep("whole").code());
        assertTrue(summary("whole").stream().allMatch(r -> r.get("action").equals("skipped") && r.get("status").equals("complete")));
        Map<Path, byte[]> after = files(dir.resolve("whole/runs"));
        assertEquals(before.keySet(), after.keySet());
        before.forEach((p, b) -> assertArrayEquals(b, after.get(p), p + " was rewritten"));
    }

    /**
     * A grid over training options (Quokka's ablations): the learning rate as an axis and, zipped, the weight decay
     * with the mask schedule. Every run trains with its own values, which its name and the summary carry; a rerun
     * trains nothing.
     */
    @Test
    void anOptionAxisRunsEndToEndAndItsRerunTrainsNothing() throws IOException {
        String axes = Files.readString(spec).replace("models: [\"16,1,2\", \"32,1,2\"]", "models: [\"16,1,2\"]").replace("unique_tokens: [4k, 8k]", """
                unique_tokens: [4k]
                  lr: [1e-3, 1e-2]
                  zip: {weight-decay: [0, 0.1], kernel: [mask, uniform]}""").replace("lr: 3e-3, ", "");
        Path axesSpec = dir.resolve("axes.yaml");
        Files.writeString(axesSpec, axes);
        // Batched: the masked kernel's runs train in pairs, the uniform kernel's ELBO (which the batched engine lacks) alone.
        String[] sweep = {"sweep", "--master", "local[2]", "--spec", axesSpec.toString(), "--output", dir.resolve("axes").toString(), "--batch-runs", "2"};
        SparkSessions.stop();
        assertEquals(0, CliTest.run(sweep).code());
        List<Map<String, String>> rows = summary("axes");
        assertEquals(2 * 2 * 2, rows.size(), "objectives x lr x (weight decay, kernel)");
        for (Map<String, String> r : rows) {
            assertEquals("complete", r.get("status"), r.toString());
            JsonNode config = SweepJob.JSON.readTree(dir.resolve("axes/runs").resolve(r.get("run")).resolve("run.json").toFile()).path("config");
            assertEquals(Double.parseDouble(r.get("lr")), config.path("lr").asDouble(), r.toString());
            assertEquals(Double.parseDouble(r.get("weight-decay")), config.path("adamW").path("weightDecay").asDouble(), r + ": " + config);
            assertEquals(r.get("kernel"), config.path("dlm").path("kernel").asText().toLowerCase(), r + ": " + config);
            assertTrue(r.get("run").contains("-lr" + r.get("lr") + "-weight-decay" + r.get("weight-decay") + "-kernel" + r.get("kernel") + "-"), r.toString());
            JsonNode manifest = SweepJob.JSON.readTree(dir.resolve("axes/runs").resolve(r.get("run")).resolve("run.json").toFile());
            String engine = manifest.path("sessions").path(0).path("engine").path("kind").asText();
            boolean uniformElbo = r.get("run").startsWith("dlm-") && r.get("kernel").equals("uniform");
            assertEquals(uniformElbo ? "single process" : "batched", engine, r.get("run"));
            if (r.get("run").startsWith("dlm-")) assertEquals(r.get("kernel"), manifest.path("objective").path("kernel").asText(), manifest.path("objective").toString());
        }
        assertEquals(8, rows.stream().map(r -> r.get("val_loss")).distinct().count(), "eight different runs");

        SparkSessions.stop();
        assertEquals(0, CliTest.run(sweep).code());
        assertTrue(summary("axes").stream().allMatch(r -> r.get("action").equals("skipped")), "a rerun trains nothing");

        // quokka generate samples from the uniform kernel's runs by its own sampler.
        String uniformRun = rows.stream().map(r -> r.get("run")).filter(n -> n.startsWith("dlm-") && n.contains("-kerneluniform-")).findFirst().orElseThrow();
        CliTest.Printed g = CliTest.runPrinting("generate", "--run", dir.resolve("axes/runs").resolve(uniformRun).toString(), "--prompt", "The",
                "--samples", "1", "--steps", "4", "--seed", "2");
        assertEquals(0, g.code(), g.err());
        assertTrue(g.out().contains("4 denoising rounds of the uniform kernel") && g.out().contains("--- sample 1"), g.out());

        // quokka compare reads the axes back from each run's run.json: a cell per objective and values, each the run's own loss.
        Path compared = dir.resolve("compared");
        CliTest.Result c = CliTest.run("compare", "--runs", dir.resolve("axes/runs").toString(), "--by", "lr,weight-decay", "--output", compared.toString());
        assertEquals(0, c.code(), c.err());
        List<String> cells = Files.readAllLines(compared.resolve("cells.csv"));
        assertEquals("objective,N,U,lr,weight-decay,runs,final loss,95% interval,best loss,95% interval", cells.get(0));
        assertEquals(1 + 8, cells.size(), "a cell per objective, lr and weight decay");
        for (Map<String, String> r : rows) {
            String objective = r.get("run").substring(0, r.get("run").indexOf('-'));
            boolean found = cells.stream().anyMatch(line -> line.startsWith(objective + ",") && line.contains("," + Double.parseDouble(r.get("lr")) + ","
                    + Double.parseDouble(r.get("weight-decay")) + ",1," + r.get("val_loss") + ",-,"));
            assertTrue(found, r + " in " + cells);
        }
        List<String> transfer = Files.readAllLines(compared.resolve("transfer.csv"));
        assertEquals("axis,N,U,other axes,best for the DLM,best for AR,grid steps apart,transfers", transfer.get(0));
        assertEquals(1 + 2 + 2, transfer.size(), "lr at each weight decay, weight decay at each lr: " + transfer);
        for (String f : List.of("compare.md", "report.html", "final-loss.png", "curves.png", "_manifest.json", "_SUCCESS")) {
            assertTrue(Files.exists(compared.resolve(f)), f);
        }
        CliTest.Result bad = CliTest.run("compare", "--runs", dir.resolve("axes/runs").toString(), "--by", "learning-rate", "--output", dir.resolve("never").toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--by learning-rate is not an axis; axes: lr, min-lr"), bad.err());
        assertTrue(!Files.exists(dir.resolve("never")));
    }

    /**
     * A run out as safetensors, read back by a reader written here from the format's description (not the writer):
     * its tensors loaded into a fresh engine give the checkpoint's logits bit for bit; config.json describes the model.
     */
    @Test
    void aRunExportedAsSafetensorsReloadsToTheSameLogits() throws Exception {
        String run = dir.resolve("whole/runs/dlm-32x1x2-U8k-e2-s3").toString();
        Path out = dir.resolve("safetensors");
        CliTest.Result r = CliTest.run("export", "safetensors", "--run", run, "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        byte[] file = Files.readAllBytes(out.resolve("model.safetensors"));
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(file).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long n = b.getLong();
        JsonNode header = SweepJob.JSON.readTree(new String(file, 8, (int) n, java.nio.charset.StandardCharsets.UTF_8));
        Map<String, dev.quokka.training.Engine.Weights> weights = new java.util.LinkedHashMap<>();
        long expectedOffset = 0;
        for (java.util.Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) continue;
            assertEquals("F32", e.getValue().path("dtype").asText());
            long begin = e.getValue().path("data_offsets").get(0).asLong(), end = e.getValue().path("data_offsets").get(1).asLong();
            assertEquals(expectedOffset, begin, "contiguous, in order");
            expectedOffset = end;
            long[] shape = new long[e.getValue().path("shape").size()];
            for (int i = 0; i < shape.length; i++) shape[i] = e.getValue().path("shape").get(i).asLong();
            float[] v = new float[(int) ((end - begin) / 4)];
            for (int i = 0; i < v.length; i++) v[i] = b.getFloat((int) (8 + n + begin + 4L * i));
            weights.put(SafetensorsExport.engineName(e.getKey()), new dev.quokka.training.Engine.Weights(shape, v));
        }
        assertEquals(file.length, 8 + n + expectedOffset, "nothing after the last tensor");
        assertTrue(header.has("layers.0.attention.wq.weight") && header.has("embedding.weight"), header.toString());

        var trained = dev.quokka.training.TrainedModel.open(run, dev.quokka.training.engines.Engines.singleProcess(), new org.apache.hadoop.conf.Configuration());
        var fresh = dev.quokka.training.engines.Engines.singleProcess().create(trained.engine().shape(), 1, trained.engine().length(), false,
                dev.quokka.training.AdamW.papers(), 99);
        int[] ids = new int[trained.engine().length()];
        for (int i = 0; i < ids.length; i++) ids[i] = (7 * i + 3) % trained.engine().shape().vocab();
        assertTrue(!java.util.Arrays.equals(trained.engine().logits(ids), fresh.logits(ids)), "a fresh engine differs before the load");
        fresh.setParameters(weights);
        assertArrayEquals(trained.engine().logits(ids), fresh.logits(ids), 0f, "the exported tensors give the checkpoint's logits");

        JsonNode config = SweepJob.JSON.readTree(out.resolve("config.json").toFile());
        assertEquals("bidirectional", config.path("attention").asText());
        assertEquals(32, config.path("d_model").asInt());
        assertEquals(trained.tokenizer().specialTokens().maskId().orElseThrow(), config.path("mask_token_id").asInt());
        assertTrue(Files.exists(out.resolve("tokenizer.json")) && Files.exists(out.resolve("_SUCCESS")));
        CliTest.Result missing = CliTest.run("export", "safetensors", "--run", run, "--checkpoint", "3", "--output", dir.resolve("none").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("has no checkpoint at step 3"), missing.err());
    }

    /** quokka generate on runs the sweep made: their run.json names the tokenizer by URI. */
    @Test
    void generateSamplesFromTheSweepsRuns() {
        for (String run : List.of("dlm-32x1x2-U8k-e2-s3", "ar-32x1x2-U8k-e2-s3")) {
            CliTest.Printed p = CliTest.runPrinting("generate", "--run", dir.resolve("whole/runs").resolve(run).toString(), "--prompt", "The",
                    "--samples", "2", "--steps", "8", "--seed", "4");
            assertEquals(0, p.code(), run + ": " + p.err());
            List<String> samples = p.out().lines().dropWhile(l -> !l.startsWith("--- sample 1")).toList();
            assertEquals("--- sample 1", samples.get(0), p.out());
            assertTrue(samples.get(1).startsWith("The") && samples.get(1).length() > 3, "a continuation of the prompt: " + p.out());
            assertTrue(p.out().contains("--- sample 2"), p.out());
        }
        CliTest.Result bad = CliTest.run("generate", "--run", dir.resolve("whole/runs/ar-32x1x2-U8k-e2-s3").toString(), "--steps", "0");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--steps must be positive, not 0"), bad.err());
    }

    @Test
    void aTaskKilledPartwayIsRetriedFromItsCheckpointAndEndsAsTheUninterruptedRun() throws IOException {
        CliTest.Result r = sweep("faulty", "--runs", "^" + FAULTY + "$", "--inject-fault", FAULTY + "@25");
        assertEquals(0, r.code(), r.err());
        Map<String, String> row = summary("faulty").get(0);
        assertEquals("complete", row.get("status"));
        assertEquals("resumed", row.get("action"), "the retry found the run's directory and resumed it");
        JsonNode sessions = SweepJob.JSON.readTree(dir.resolve("faulty/runs").resolve(FAULTY).resolve("run.json").toFile()).path("sessions");
        assertEquals(2, sessions.size(), sessions.toString());
        assertEquals(List.of(0L, 20L), List.of(sessions.path(0).path("from_step").asLong(), sessions.path(1).path("from_step").asLong()),
                "the retry started from the checkpoint at step 20, the last before the fault at 25");
        Path whole = dir.resolve("whole/runs").resolve(FAULTY), retried = dir.resolve("faulty/runs").resolve(FAULTY);
        assertEquals(columns(whole.resolve("metrics/train.csv"), 0, 4, 5), columns(retried.resolve("metrics/train.csv"), 0, 4, 5));
        assertEquals(columns(whole.resolve("metrics/eval.csv"), 0, 4), columns(retried.resolve("metrics/eval.csv"), 0, 4));
        String last = "checkpoints/step-" + String.format("%08d", Long.parseLong(row.get("steps").split("/")[0])) + "/state.bin";
        assertArrayEquals(Files.readAllBytes(whole.resolve(last)), Files.readAllBytes(retried.resolve(last)));
    }

    @Test
    void aRunThatKeepsFailingIsReportedWithItsReasonAndTheNextSweepFinishesIt() throws IOException {
        String run = "ar-16x1x2-U4k-e2-s3";
        CliTest.Result r = sweep("failing", "--runs", "U4k", "--inject-fault", run + "@12x3");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("1 of 4 runs did not complete"), r.err());
        List<Map<String, String>> rows = summary("failing");
        for (Map<String, String> row : rows) {
            if (row.get("run").equals(run)) {
                assertEquals("running", row.get("status"));
                assertEquals("failed", row.get("action"));
                assertTrue(row.get("error").contains("failed 3 times") && row.get("error").contains("injected fault"), row.get("error"));
                assertEquals("10/", row.get("steps").substring(0, 3), "it stands at its last checkpoint");
            } else {
                assertEquals("complete", row.get("status"), row.toString());
            }
        }
        assertEquals("incomplete", SweepJob.JSON.readTree(dir.resolve("failing/sweep.json").toFile()).path("status").asText());

        assertEquals(0, sweep("failing", "--runs", "U4k").code());
        for (Map<String, String> row : summary("failing")) {
            assertEquals("complete", row.get("status"));
            assertEquals(row.get("run").equals(run) ? "resumed" : "skipped", row.get("action"));
        }
    }

    /**
     * The grow rule: runs to e_max 2 that are still improving in their last quarter are extended to 4 (the cap) by
     * the same sweep; an extended run equals, in its metrics, the same run made to 4 from the start by another sweep.
     */
    @Test
    void runsStillImprovingAreGrownToTheCap() throws IOException {
        Path growSpec = dir.resolve("grow.yaml");
        String text = Files.readString(spec).replace("  epochs: [2]", "  e_max: 2\n  extend_while_improving: 4")
                .replace("models: [\"16,1,2\", \"32,1,2\"]", "models: [\"32,1,2\"]").replace("unique_tokens: [4k, 8k]", "unique_tokens: [8k]")
                .replace("objectives: [dlm, ar]", "objectives: [dlm]");
        Files.writeString(growSpec, text);
        CliTest.Result r = CliTest.run("sweep", "--master", "local[2]", "--spec", growSpec.toString(), "--output", dir.resolve("grown").toString());
        assertEquals(0, r.code(), r.err());
        String run = "dlm-32x1x2-U8k-s3";
        JsonNode m = SweepJob.JSON.readTree(dir.resolve("grown/runs").resolve(run).resolve("run.json").toFile());
        assertEquals(4.0, m.path("config").path("epochs").asDouble(), "a DLM still improving at epoch 2 grows to the cap: " + m.path("extensions"));
        assertEquals(1, m.path("extensions").size());
        assertTrue(Files.exists(dir.resolve("grown/runs").resolve(run).resolve("branches/decay-e2/run.json")));
        assertEquals("extended", summary("grown").get(0).get("action"));
        assertEquals("4", summary("grown").get(0).get("e"));

        // The same run to 4 from the start, in a sweep of its own.
        Files.writeString(dir.resolve("to4.yaml"), text.replace("  e_max: 2\n  extend_while_improving: 4", "  e_max: 4\n  extend_while_improving: 4"));
        assertEquals(0, CliTest.run("sweep", "--master", "local[2]", "--spec", dir.resolve("to4.yaml").toString(), "--output",
                dir.resolve("to4").toString()).code());
        Path grown = dir.resolve("grown/runs").resolve(run), direct = dir.resolve("to4/runs").resolve(run);
        assertEquals(Files.readAllLines(direct.resolve("metrics/eval.csv")), Files.readAllLines(grown.resolve("metrics/eval.csv")));
        assertEquals(columns(direct.resolve("metrics/train.csv"), 0, 1, 2, 3, 4, 5), columns(grown.resolve("metrics/train.csv"), 0, 1, 2, 3, 4, 5));

        // A rerun of the first sweep trains nothing: the grown run is past its e_max, and complete.
        assertEquals(0, CliTest.run("sweep", "--master", "local[2]", "--spec", growSpec.toString(), "--output", dir.resolve("grown").toString()).code());
        assertEquals("skipped", summary("grown").get(0).get("action"));
    }

    /**
     * --batch-runs: runs of one shape and length train in batches, each run's metrics and checkpoints the same bit for
     * bit whatever runs share its batch (four runs three to a task against two, with a task killed partway and
     * retried), and a rerun trains nothing.
     */
    @Test
    void batchedRunsDoNotDependOnTheirCompanionsAndSurviveARetry() throws IOException {
        // Four runs of equal length: DLM and AR x two learning rates, on one shape and one study.
        Path four = dir.resolve("batched.yaml");
        Files.writeString(four, Files.readString(spec).replace("models: [\"16,1,2\", \"32,1,2\"]", "models: [\"32,1,2\"]")
                .replace("unique_tokens: [4k, 8k]", "unique_tokens: [8k]\n  lr: [3e-3, 1e-2]").replace("lr: 3e-3, ", ""));
        String faulty = "dlm-32x1x2-U8k-e2-lr0.003-s3";
        CliTest.Result three = batchedSweep(four, "batched3", "--batch-runs", "3");
        assertEquals(0, three.code(), three.err());
        List<Map<String, String>> rows = summary("batched3");
        assertEquals(4, rows.size());
        assertTrue(rows.stream().allMatch(r -> r.get("status").equals("complete") && r.get("action").equals("trained")), rows.toString());
        for (Map<String, String> row : rows) {
            JsonNode engine = SweepJob.JSON.readTree(dir.resolve("batched3/runs").resolve(row.get("run")).resolve("run.json").toFile())
                    .path("sessions").path(0).path("engine");
            assertEquals("batched", engine.path("kind").asText(), engine.toString());
        }
        assertEquals(List.of(1, 3), rows.stream().map(r -> batchSize("batched3", r.get("run"))).sorted().distinct().toList(), "a batch of three and one of one");

        CliTest.Result r = batchedSweep(four, "batched2", "--batch-runs", "2", "--inject-fault", faulty + "@25");
        assertEquals(0, r.code(), r.err());
        for (Map<String, String> row : summary("batched2")) {
            assertEquals("complete", row.get("status"), row.toString());
            // The killed run's companion finished in the first attempt, so the killed run resumed in a batch of its own.
            assertEquals(row.get("run").equals(faulty) ? 1 : 2, batchSize("batched2", row.get("run")), row.get("run"));
            Path a = dir.resolve("batched3/runs").resolve(row.get("run")), b = dir.resolve("batched2/runs").resolve(row.get("run"));
            assertEquals(Files.readAllLines(a.resolve("metrics/eval.csv")), Files.readAllLines(b.resolve("metrics/eval.csv")), row.get("run"));
            assertEquals(columns(a.resolve("metrics/train.csv"), 0, 1, 2, 3, 4, 5), columns(b.resolve("metrics/train.csv"), 0, 1, 2, 3, 4, 5));
            String last = "checkpoints/step-" + String.format("%08d", Long.parseLong(row.get("steps").split("/")[0])) + "/state.bin";
            assertArrayEquals(Files.readAllBytes(a.resolve(last)), Files.readAllBytes(b.resolve(last)), row.get("run"));
        }
        assertTrue(summary("batched2").stream().anyMatch(x -> x.get("action").equals("resumed")), "the killed task's runs resumed");

        assertEquals(0, batchedSweep(four, "batched3", "--batch-runs", "3").code());
        assertTrue(summary("batched3").stream().allMatch(x -> x.get("action").equals("skipped")));
    }

    private static CliTest.Result batchedSweep(Path spec, String output, String... more) {
        List<String> args = new ArrayList<>(List.of("sweep", "--master", "local[2]", "--spec", spec.toString(), "--output", dir.resolve(output).toString()));
        args.addAll(List.of(more));
        return CliTest.run(args.toArray(String[]::new));
    }

    /**
     * How many runs the run's first session to record its engine trained with. (A session killed with its task records
     * none; a run resumed after its companion finished trains in a batch of one.)
     */
    private static int batchSize(String sweep, String run) {
        try {
            JsonNode sessions = SweepJob.JSON.readTree(dir.resolve(sweep + "/runs").resolve(run).resolve("run.json").toFile()).path("sessions");
            for (JsonNode s : sessions) if (s.path("engine").has("runs")) return s.path("engine").path("runs").asInt();
            return 0;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static List<Map<String, String>> summary(String output) throws IOException {
        List<String> lines = Files.readAllLines(dir.resolve(output).resolve("summary.csv"));
        String[] header = lines.get(0).split(",");
        List<Map<String, String>> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            List<String> cells = csvCells(line);
            Map<String, String> row = new TreeMap<>();
            for (int i = 0; i < header.length; i++) row.put(header[i], i < cells.size() ? cells.get(i) : "");
            rows.add(row);
        }
        return rows;
    }

    private static List<String> csvCells(String line) {
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted && c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') cell.append(line.charAt(++i));
            else if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted) {
                cells.add(cell.toString());
                cell.setLength(0);
            } else cell.append(c);
        }
        cells.add(cell.toString());
        return cells;
    }

    private static List<String> columns(Path csv, int... columns) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(csv)) {
            String[] f = line.split(",");
            StringBuilder b = new StringBuilder();
            for (int c : columns) b.append(f[c]).append(' ');
            out.add(b.toString());
        }
        return out;
    }

    private static Map<Path, byte[]> files(Path root) throws IOException {
        Map<Path, byte[]> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) m.put(root.relativize(p), Files.readAllBytes(p));
        }
        return m;
    }
}
