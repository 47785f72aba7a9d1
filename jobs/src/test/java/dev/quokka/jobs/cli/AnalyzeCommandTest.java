package dev.quokka.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quokka.analysis.ChinchillaLaw;
import dev.quokka.analysis.Quantities;
import dev.quokka.analysis.QuokkaLaw;
import dev.quokka.jobs.CliTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Run directories in the trainer's documented format, with losses drawn from Quokka's law, through
 * `quokka analyze`: points at every epoch boundary, anneal branches left out, the law fitted back.
 */
class AnalyzeCommandTest {
    static final QuokkaLaw TRUTH = new QuokkaLaw(0.5, 1535.23, 0.42, 54.21, 0.13, 1.49, 0.3955, 254.35, 0.39, 0.55);
    @TempDir Path dir;

    @Test
    void epochPointsOfRunDirectoriesFitQuokkasLaw() throws Exception {
        Random rng = new Random(5);
        int runs = 0;
        for (double n = 1e7; n <= 2e9; n *= 2.5) {
            for (double u = 1e7; u <= 1e10; u *= 4) {
                write(dir.resolve("study/run" + runs++), n, u, 60, false, rng);
            }
        }
        write(dir.resolve("study/anneal-branch"), 1e8, 1e8, 3, true, rng); // not an epoch point of the study
        Path out = dir.resolve("analysis");
        CliTest.Result r = CliTest.run("analyze", "--master", "local[2]", "--runs", dir.resolve("study").toString(), "--mode", "epochs",
                "--law", "quokka", "--bootstrap", "0", "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode fit = new ObjectMapper().readTree(out.resolve("fit.json").toFile());
        assertEquals(runs * 60, fit.get("points").asInt(), "every boundary of every run, and no step-0 or anneal points");
        assertEquals(runs, fit.get("runs").asInt());
        assertEquals(TRUTH.gamma(), fit.get("law").get("constants").get("gamma").asDouble(), 0.05 * TRUTH.gamma());
        assertEquals(TRUTH.alpha(), fit.get("law").get("constants").get("alpha").asDouble(), 0.05 * TRUTH.alpha());
        assertTrue(Files.isDirectory(out.resolve("points")) && Files.exists(out.resolve("_SUCCESS")));
        assertEquals("papers", fit.get("n_convention").asText());
        // The points carry N in both conventions, and e.
        for (Row p : SparkSession.builder().getOrCreate().read().parquet(out.resolve("points").toString()).collectAsList()) {
            double n = p.getDouble(p.fieldIndex("n")), e = p.getDouble(p.fieldIndex("e"));
            assertEquals(n, p.getDouble(p.fieldIndex("n_with_embeddings")));
            assertEquals(0.8 * n, p.getDouble(p.fieldIndex("n_without_embeddings")), 1e-6 * n);
            assertEquals(Math.rint(e), e, 1e-6, "an epoch boundary");
        }
        String html = Files.readString(out.resolve("report.html"));
        for (String png : List.of("loss-vs-epochs.png", "predicted-vs-observed.png", "e-opt-heatmap.png", "iso-loss.png")) {
            assertTrue(html.contains("src=\"" + png + "\""), png);
            byte[] bytes = Files.readAllBytes(out.resolve(png));
            assertTrue(bytes.length > 10_000 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G', png + ": " + bytes.length + " bytes");
        }
    }

    @Test
    void truncationCutsASecondDescentAtItsPeak() throws Exception {
        Path run = dir.resolve("double-descent/run");
        Files.createDirectories(run.resolve("metrics"));
        Files.writeString(run.resolve("run.json"), "{\"config\": {\"objective\": \"dlm\"}, \"model\": {\"papers_n\": 1e8}, \"study\": {\"unique_tokens\": 1000000}}");
        // a short curve: a rise and a descent that each last two epochs, the patience given
        double[] loss = {5, 4.5, 4.2, 4.0, 3.9, 3.85, 3.9, 4.0, 4.2, 4.4, 4.5, 4.6, 4.3, 4.0, 3.8, 3.7, 3.6, 3.55, 3.5, 3.45};
        List<String> rows = new ArrayList<>(List.of("step,tokens,epoch,lr,val_loss,boundary"));
        for (int e = 1; e <= loss.length; e++) rows.add(e + "," + e * 1_000_000L + "," + e + ",1e-3," + loss[e - 1] + ",true");
        Files.write(run.resolve("metrics/eval.csv"), rows);
        Path out = dir.resolve("dd");
        CliTest.Result r = CliTest.run("analyze", "--master", "local[2]", "--runs", dir.resolve("double-descent").toString(), "--mode", "epochs",
                "--truncate", "2", "--law", "chinchilla", "--bootstrap", "0", "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(12, new ObjectMapper().readTree(out.resolve("fit.json").toFile()).get("points").asInt(), "up to the peak of 4.6 at epoch 12");
    }

    @Test
    void trainingLossPointsAreGaussianSmoothedAtEachRunsLastStep() throws Exception {
        Random rng = new Random(11);
        Map<String, Double> expected = new java.util.TreeMap<>();
        int k = 0;
        for (double n = 1e7; n <= 1e9; n *= 3) {
            for (double tpp : new double[] {5, 20, 80}) {
                double d = n * tpp, truth = ChinchillaLaw.EPOCH_AI.loss(n, d, d);
                int steps = 200 + 150 * k;
                Path run = dir.resolve("compute/run" + k++);
                Files.createDirectories(run.resolve("metrics"));
                Files.writeString(run.resolve("run.json"), "{\"config\": {\"objective\": \"ar\"}, \"model\": {\"papers_n\": " + n
                        + "}, \"study\": {\"unique_tokens\": " + (long) d + "}}");
                List<String> rows = new ArrayList<>(List.of("step,tokens,epoch,lr,train_loss,grad_norm,tokens_per_s"));
                double sigma = Math.max(1, 0.05 * steps), weighted = 0, weights = 0;
                for (int s = 1; s <= steps; s++) {
                    double loss = truth + 1.0 * (steps - s) / steps + 0.3 * rng.nextGaussian(); // falling, and noisy
                    rows.add(s + "," + (long) (d * s / steps) + "," + (double) s / steps + ",1e-3," + loss + ",1.0,1000");
                    double z = (steps - s) / sigma;
                    if (z <= 4) {
                        weighted += Math.exp(-0.5 * z * z) * loss;
                        weights += Math.exp(-0.5 * z * z);
                    }
                }
                rows.add(steps + 1 + "," + (long) d + ",1.0,1e-3,NaN,1.0,1000"); // a diverged step is not a loss
                Files.write(run.resolve("metrics/train.csv"), rows);
                expected.put(run.toUri().getPath().replaceAll("/$", ""), weighted / weights);
            }
        }
        Path out = dir.resolve("compute-fit");
        CliTest.Result r = CliTest.run("analyze", "--master", "local[2]", "--runs", dir.resolve("compute").toString(), "--mode", "train",
                "--smooth", "0.05", "--law", "chinchilla", "--bootstrap", "0", "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        List<Row> points = SparkSession.builder().getOrCreate().read().parquet(out.resolve("points").toString()).collectAsList();
        assertEquals(expected.size(), points.size());
        for (Row p : points) {
            String run = new org.apache.hadoop.fs.Path(p.getString(p.fieldIndex("run"))).toUri().getPath();
            assertEquals(expected.get(run), p.getDouble(p.fieldIndex("loss")), 1e-9, run);
            // Near the truth although one step's loss has noise of sd 0.3: the smoothing is what makes the point usable.
            double n = ((Number) p.get(p.fieldIndex("n"))).doubleValue(), d = ((Number) p.get(p.fieldIndex("d"))).doubleValue();
            assertEquals(ChinchillaLaw.EPOCH_AI.loss(n, d, d), p.getDouble(p.fieldIndex("loss")), 0.25, run);
        }
        assertTrue(new ObjectMapper().readTree(out.resolve("fit.json").toFile()).get("source").asText().contains("train points"));
    }

    /**
     * A compute-constrained study's run directories, each at its budget C = 6 N D and ending at the loss a known law
     * gives it: approach 1 over the runs' final evaluations gives that law's allocation.
     */
    @Test
    void isoflopRunsGiveTheirLawsAllocation() throws Exception {
        ChinchillaLaw truth = ChinchillaLaw.EPOCH_AI;
        dev.quokka.analysis.ComputeAllocation expected = dev.quokka.analysis.ComputeAllocation.of(truth);
        for (double c : new double[] {1e18, 1e19, 1e20}) {
            for (int k = -3; k <= 3; k++) {
                double n = expected.nOpt(c) * Math.pow(2, k);
                long d = Math.round(c / (6 * n));
                Path run = dir.resolve("isoflop/" + String.format("dlm-%.0e_%d", c, k));
                Files.createDirectories(run.resolve("metrics"));
                Files.writeString(run.resolve("run.json"), "{\"config\": {\"objective\": \"dlm\"}, \"model\": {\"papers_n\": " + n
                        + "}, \"study\": {\"unique_tokens\": " + 2 * d + "}}");
                Files.write(run.resolve("metrics/eval.csv"), List.of("step,tokens,epoch,lr,val_loss,boundary",
                        "1," + d / 2 + ",0.25,1e-3," + (truth.loss(n, d, d) + 0.5) + ",false", "2," + d + ",0.5,1e-4," + truth.loss(n, d, d) + ",false"));
            }
        }
        Path out = dir.resolve("isoflop-fit");
        CliTest.Result r = CliTest.run("analyze", "--master", "local[2]", "--runs", dir.resolve("isoflop").toString(), "--mode", "final",
                "--law", "isoflop", "--bootstrap", "0", "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode fit = new ObjectMapper().readTree(out.resolve("fit.json").toFile());
        assertEquals("isoflop", fit.get("law").get("form").asText());
        assertEquals(expected.a(), fit.get("law").get("constants").get("a").asDouble(), 0.01);
        assertEquals(3, fit.get("budgets").size());
        assertTrue(Files.exists(out.resolve("points")) && Files.exists(out.resolve("isoflop-profiles.png")));
    }

    @Test
    void tensorBoardLogsAreReadWithANameMapping() throws Exception {
        Random rng = new Random(5);
        int runs = 0;
        long tokensPerStep = 100_000;
        for (double n = 1e7; n <= 2e9; n *= 2.5) {
            for (double u = 1e7; u <= 1e10; u *= 4) {
                // As released logs are laid out: a directory a run, named for its shape, and TensorBoard scalars only.
                Path run = Files.createDirectories(dir.resolve("tb/dlm_N" + Quantities.format(n) + "_U" + (long) u));
                long perEpoch = (long) u / tokensPerStep;
                try (var events = new dev.quokka.training.TensorBoardEvents(Files.newOutputStream(run.resolve("events.out.tfevents.1.host")), 0)) {
                    events.scalars(0, 1, Map.of("val/loss", 11.0));
                    for (int e = 1; e <= 40; e++) {
                        double loss = TRUTH.loss(Quantities.parse(Quantities.format(n)), u, u * e) * Math.exp(0.01 * rng.nextGaussian());
                        events.scalars(e * perEpoch - perEpoch / 2, e, Map.of("val/loss", loss + 0.1, "train/loss", loss));
                        events.scalars(e * perEpoch, e + 0.5, Map.of("val/loss", loss));
                    }
                }
                runs++;
            }
        }
        Path out = dir.resolve("tb-fit");
        CliTest.Result r = CliTest.run("analyze", "--master", "local[2]", "--runs", dir.resolve("tb").toString(), "--format", "tensorboard",
                "--tb-run-name", "(?<objective>[a-z]+)_N(?<n>[^_]+)_U(?<u>[^_]+)", "--tb-tokens-per-step", "" + tokensPerStep,
                "--mode", "epochs", "--law", "quokka", "--bootstrap", "0", "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode fit = new ObjectMapper().readTree(out.resolve("fit.json").toFile());
        assertEquals(runs * 40, fit.get("points").asInt(), "the loss nearest every whole epoch, not the mid-epoch ones or step 0");
        assertEquals(TRUTH.gamma(), fit.get("law").get("constants").get("gamma").asDouble(), 0.05 * TRUTH.gamma());
        assertEquals(runs, fit.get("inputs").size(), "every event file is checksummed");

        CliTest.Result unnamed = CliTest.run("analyze", "--runs", dir.resolve("tb").toString(), "--format", "tensorboard",
                "--tb-run-name", "N(?<n>[^_]+)_U(?<u>[^_]+)", "--tb-tokens-per-step", "1000", "--output", dir.resolve("x").toString());
        assertTrue(unnamed.code() != 0 && unnamed.err().contains("does not match"), unnamed.err());
    }

    /**
     * Logs in Megatron-LM's layout (MegaDLMs' too): "lm loss validation vs samples" against consumed samples, beside
     * the same loss against iterations and the training loss, which must not be read. D = samples x seq length.
     */
    @Test
    void megatronLogsAreReadByTheirLayout() throws Exception {
        int seqLength = 2048, batch = 256, iterations = 40;
        double u = 2e9;
        List<Double> sizes = List.of(1e8, 3e8, 1e9);
        for (double n : sizes) {
            Path run = Files.createDirectories(dir.resolve("megatron/dlm_N" + Quantities.format(n) + "_U2B"));
            try (var events = new dev.quokka.training.TensorBoardEvents(Files.newOutputStream(run.resolve("events.out.tfevents.2.host")), 0)) {
                for (int it = 1; it <= iterations; it++) {
                    long samples = (long) it * 1000 * batch, tokens = samples * seqLength;
                    double loss = TRUTH.loss(n, u, tokens);
                    events.scalars(it * 1000L, 0, Map.of("lm loss", loss - 0.2, "lm loss validation", loss + 5));
                    events.scalars(samples, 0, Map.of("lm loss validation vs samples", loss));
                }
            }
        }
        Path out = dir.resolve("megatron-fit");
        CliTest.Result r = CliTest.run("analyze", "--master", "local[2]", "--runs", dir.resolve("megatron").toString(), "--format", "tensorboard",
                "--tb-layout", "megatron", "--tb-seq-length", "" + seqLength, "--tb-run-name", "(?<objective>[a-z]+)_N(?<n>[^_]+)_U(?<u>[^_]+)",
                "--mode", "all", "--law", "chinchilla", "--bootstrap", "0", "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        List<org.apache.spark.sql.Row> rows = dev.quokka.jobs.runtime.SparkSessions.get("test").read().parquet(out.resolve("points").toString())
                .orderBy("n", "d").collectAsList();
        assertEquals(sizes.size() * iterations, rows.size());
        for (int k = 0; k < rows.size(); k++) {
            org.apache.spark.sql.Row row = rows.get(k);
            double n = sizes.get(k / iterations), d = (double) (k % iterations + 1) * 1000 * batch * seqLength;
            assertEquals(d, row.getDouble(row.fieldIndex("d")), 1e-6 * d, "D = samples x seq length");
            assertEquals(TRUTH.loss(n, u, d), row.getDouble(row.fieldIndex("loss")), 1e-4, "the validation loss against samples, no other scalar");
        }
        CliTest.Result both = CliTest.run("analyze", "--runs", dir.resolve("megatron").toString(), "--format", "tensorboard", "--tb-layout", "megatron",
                "--tb-seq-length", "2048", "--tb-tokens-per-step", "5", "--tb-run-name", "N(?<n>[^_]+)_U(?<u>[^_]+)", "--output", dir.resolve("y").toString());
        assertEquals(2, both.code());
        assertTrue(both.err().contains("--tb-layout megatron sets the loss tag and the tokens"), both.err());
    }

    /**
     * Quokka's released logs by their run names: event files in each run's tensorboard/ directory, compute- and
     * data-constrained names mixed, and one run whose name fits neither layout, left out and counted.
     */
    @Test
    void quokkasReleasedRunNamesGiveNAndU() throws Exception {
        Map<String, double[]> runs = new java.util.LinkedHashMap<>(); // name -> N, U of the truth
        runs.put("1e19_109_15.3b_dlm", new double[] {109e6, 15.3e9});
        runs.put("1100_96b_16e_2000_1000_4_256_2e-4_dlm", new double[] {1.1e9, 6e9});
        runs.put("570_10B_100_1k_500_8_512_3e-4_dlm", new double[] {570e6, 1e8});
        runs.put("masked_96b_1e_1b_difflm", null);
        for (var e : runs.entrySet()) {
            Path tb = Files.createDirectories(dir.resolve("quokka-logs/" + e.getKey() + "/tensorboard"));
            try (var events = new dev.quokka.training.TensorBoardEvents(Files.newOutputStream(tb.resolve("events.out.tfevents.3.host")), 0)) {
                events.scalars(100, 0, Map.of("lm loss validation vs samples", 3.5));
            }
        }
        Path out = dir.resolve("quokka-logs-points");
        CliTest.Result r = CliTest.run("analyze", "--master", "local[2]", "--runs", dir.resolve("quokka-logs").toString(), "--format", "tensorboard",
                "--tb-layout", "megatron", "--tb-seq-length", "2048", "--tb-run-name", "quokka", "--mode", "final", "--law", "chinchilla",
                "--bootstrap", "0", "--output", out.toString());
        // Three points are too few to fit, and the error says what was read and what was left out.
        assertEquals(2, r.code());
        assertTrue(r.err().contains("3 valid points") && r.err().contains("runs whose names do not say N and U=1"), r.err());
        Map<String, List<String>> files = dev.quokka.analysis.TensorBoardPoints.find(List.of(dir.resolve("quokka-logs").toString()), new org.apache.hadoop.conf.Configuration());
        var mapping = new dev.quokka.analysis.TensorBoardPoints.Mapping("lm loss validation vs samples", null, 2048,
                dev.quokka.analysis.TensorBoardPoints.Mapping.QUOKKA, "");
        List<String> unnamed = dev.quokka.analysis.TensorBoardPoints.unnamed(files, mapping);
        assertEquals(1, unnamed.size(), unnamed.toString());
        assertTrue(unnamed.get(0).endsWith("/masked_96b_1e_1b_difflm/tensorboard"), unnamed.toString());
        List<org.apache.spark.sql.Row> rows = dev.quokka.analysis.TensorBoardPoints.points(dev.quokka.jobs.runtime.SparkSessions.get("test"), files, mapping,
                dev.quokka.analysis.TensorBoardPoints.Mode.FINAL).collectAsList();
        assertEquals(3, rows.size());
        for (org.apache.spark.sql.Row row : rows) {
            String name = new org.apache.hadoop.fs.Path(row.getString(row.fieldIndex("run"))).getParent().getName();
            assertEquals(runs.get(name)[0], row.getDouble(row.fieldIndex("n")), 1e-3, name);
            assertEquals(runs.get(name)[1], row.getDouble(row.fieldIndex("u")), 1, name);
            assertEquals("dlm", row.getString(row.fieldIndex("objective")), name);
            assertEquals(100.0 * 2048, row.getDouble(row.fieldIndex("d")), 1e-6, name);
        }
    }

    /** A run directory as the trainer writes it: run.json, and metrics/eval.csv with a step-0 row and mid-epoch rows. */
    static void write(Path run, double n, double u, int epochs, boolean anneal, Random rng) throws Exception {
        Files.createDirectories(run.resolve("metrics"));
        String parent = anneal ? ", \"parent\": {\"parentRun\": \"x\", \"checkpoint\": \"x\", \"fromStep\": 1, \"fromLr\": 0.001, \"steps\": 10}" : "";
        Files.writeString(run.resolve("run.json"), "{\"format\": \"quokka.run/1\", \"config\": {\"objective\": \"dlm\"}, "
                + "\"model\": {\"papers_n\": " + n + ", \"papers_n_non_embedding\": " + 0.8 * n + ", \"parameters\": " + 1.2 * n + "}, "
                + "\"study\": {\"unique_tokens\": " + (long) u + "}" + parent + "}");
        List<String> rows = new ArrayList<>(List.of("step,tokens,epoch,lr,val_loss,boundary", "0,0,0.0,1e-4,11.0,false"));
        long perEpoch = 1000;
        for (int e = 1; e <= epochs; e++) {
            double loss = TRUTH.loss(n, u, u * e) * Math.exp(0.01 * rng.nextGaussian());
            rows.add((e * perEpoch - perEpoch / 2) + "," + (long) (u * (e - 0.5)) + "," + (e - 0.5) + ",1e-3," + (loss + 0.1) + ",false");
            rows.add(e * perEpoch + "," + (long) (u * e) + "," + e + ".0,1e-3," + loss + ",true");
        }
        Files.write(run.resolve("metrics/eval.csv"), rows);
    }
}
