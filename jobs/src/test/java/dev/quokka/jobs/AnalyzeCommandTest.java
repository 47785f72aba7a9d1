package dev.quokka.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quokka.analysis.Quokka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Run directories in the trainer's documented format, with losses drawn from Quokka's law, through
 * `quokka analyze`: points at every epoch boundary, anneal branches left out, the law fitted back.
 */
class AnalyzeCommandTest {
    static final Quokka TRUTH = new Quokka(0.5, 1535.23, 0.42, 54.21, 0.13, 1.49, 0.3955, 254.35, 0.39, 0.55);
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
        double[] loss = {5, 4.5, 4.2, 4.0, 3.9, 3.85, 3.9, 4.0, 4.2, 4.4, 4.5, 4.6, 4.3, 4.0, 3.8, 3.7, 3.6, 3.55, 3.5, 3.45};
        List<String> rows = new ArrayList<>(List.of("step,tokens,epoch,lr,val_loss,boundary"));
        for (int e = 1; e <= loss.length; e++) rows.add(e + "," + e * 1_000_000L + "," + e + ",1e-3," + loss[e - 1] + ",true");
        Files.write(run.resolve("metrics/eval.csv"), rows);
        Path out = dir.resolve("dd");
        CliTest.Result r = CliTest.run("analyze", "--master", "local[2]", "--runs", dir.resolve("double-descent").toString(), "--mode", "epochs",
                "--truncate", "--law", "chinchilla", "--bootstrap", "0", "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(12, new ObjectMapper().readTree(out.resolve("fit.json").toFile()).get("points").asInt(), "up to the peak of 4.6 at epoch 12");
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
