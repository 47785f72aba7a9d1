package dev.quokka.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quokka.analysis.Chinchilla;
import dev.quokka.analysis.FitPoint;
import dev.quokka.analysis.Law;
import dev.quokka.analysis.Synthetic;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A table of points in, fit.json out, and a plan from it; bad rows excluded and counted. */
class FitCommandTest {
    @TempDir Path dir;

    @Test
    void fitsATableThenPlansWithTheFit() throws Exception {
        List<String> lines = new ArrayList<>(List.of("run,objective,N,U,D,loss"));
        java.util.Random rng = new java.util.Random(3);
        for (double n : Synthetic.logSpace(7e7, 1.6e10, 8)) {
            for (double tpp : new double[] {2, 5, 10, 20, 40, 80, 160}) {
                double d = n * tpp;
                lines.add("r" + lines.size() + ",ar," + n + "," + d + "," + d + "," + Chinchilla.EPOCH_AI.loss(n, d, d) * Math.exp(0.01 * rng.nextGaussian()));
            }
        }
        lines.add("bad1,ar,1e9,1e10,1e10,NaN");
        lines.add("bad2,ar,-5,1e10,1e10,2.5");
        lines.add("bad3,ar,1e9,,1e10,2.5");
        Path table = dir.resolve("points.csv");
        Files.write(table, lines);
        Path out = dir.resolve("fit");
        CliTest.Result r = CliTest.run("fit", "--master", "local[2]", "--points", table.toString(), "--law", "chinchilla", "--bootstrap", "20",
                "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode fit = new ObjectMapper().readTree(out.resolve("fit.json").toFile());
        assertEquals(56, fit.get("points").asInt());
        assertEquals(1, fit.get("excluded").get("loss is NaN").asInt(), fit.get("excluded").toString());
        assertEquals(1, fit.get("excluded").get("n not positive").asInt());
        assertEquals(1, fit.get("excluded").get("u missing or not a number").asInt());
        assertEquals(Chinchilla.EPOCH_AI.alpha(), fit.get("law").get("constants").get("alpha").asDouble(), 0.05 * Chinchilla.EPOCH_AI.alpha());
        assertEquals(2, fit.get("intervals").get("beta").size());
        assertEquals(64, fit.get("inputs").get(0).get("sha256").asText().length());
        assertTrue(Files.exists(out.resolve("_SUCCESS")));

        CliTest.Result plan = CliTest.run("plan", "--fit", out.toString(), "--budgets", "1e21", "--output", dir.resolve("plan").toString());
        assertEquals(0, plan.code(), plan.err());
        assertTrue(Files.readString(dir.resolve("plan/compute.csv")).startsWith("FLOPs,N_opt,D_opt,epochs,loss\n1.00e+21,"));

        // A published table names its columns its own way: --column maps them to roles.
        List<String> renamed = new ArrayList<>(lines);
        renamed.set(0, "run,objective,params,U,D,eval_loss");
        Files.write(dir.resolve("renamed.csv"), renamed);
        CliTest.Result unmapped = CliTest.run("fit", "--points", dir.resolve("renamed.csv").toString(), "--law", "chinchilla",
                "--bootstrap", "0", "--output", dir.resolve("fit2").toString());
        assertTrue(unmapped.code() != 0 && unmapped.err().contains("no column n, loss"), unmapped.err());
        CliTest.Result wrong = CliTest.run("fit", "--points", dir.resolve("renamed.csv").toString(), "--column", "loss=val_loss",
                "--law", "chinchilla", "--bootstrap", "0", "--output", dir.resolve("fit2").toString());
        assertTrue(wrong.code() != 0 && wrong.err().contains("no column 'val_loss' for loss"), wrong.err());
        CliTest.Result mapped = CliTest.run("fit", "--points", dir.resolve("renamed.csv").toString(), "--column", "n=params",
                "--column", "loss=EVAL_LOSS", "--law", "chinchilla", "--bootstrap", "0", "--output", dir.resolve("fit2").toString());
        assertEquals(0, mapped.code(), mapped.err());
        JsonNode fit2 = new ObjectMapper().readTree(dir.resolve("fit2/fit.json").toFile());
        assertEquals(56, fit2.get("points").asInt());
        assertEquals(fit.get("law").get("constants").get("alpha").asDouble(), fit2.get("law").get("constants").get("alpha").asDouble(), 1e-9);

        // Filters: points that do not meet --where are excluded and counted, like bad rows.
        CliTest.Result filtered = CliTest.run("fit", "--points", table.toString(), "--where", "n >= 1e9 and d / n <= 80", "--law", "chinchilla",
                "--bootstrap", "0", "--output", dir.resolve("fit3").toString());
        assertEquals(0, filtered.code(), filtered.err());
        JsonNode fit3 = new ObjectMapper().readTree(dir.resolve("fit3/fit.json").toFile());
        long kept = lines.stream().skip(1).filter(l -> !l.startsWith("bad")).map(l -> l.split(","))
                .filter(f -> Double.parseDouble(f[2]) >= 1e9 && Double.parseDouble(f[4]) / Double.parseDouble(f[2]) <= 80).count();
        assertEquals(kept, fit3.get("points").asInt());
        assertEquals(56 - kept, fit3.get("excluded").get("not where n >= 1e9 and d / n <= 80").asInt());
        CliTest.Result badWhere = CliTest.run("fit", "--points", table.toString(), "--where", "n >>= 3", "--law", "chinchilla",
                "--output", dir.resolve("fit4").toString());
        assertTrue(badWhere.code() != 0 && badWhere.err().contains("not a Spark SQL condition"), badWhere.err());
    }

    @Test
    void theBootstrapGivesTheSameIntervalsAsSparkTasksAsInTheDriver() throws Exception {
        List<String> lines = new ArrayList<>(List.of("run,objective,N,U,D,loss"));
        for (FitPoint p : Synthetic.points(Law.published("quokka-dlm"), Synthetic.logSpace(2e7, 2e9, 4), Synthetic.logSpace(1e8, 1e10, 3),
                new double[] {1, 2, 4, 8, 16, 32, 64}, 0.01, 9)) {
            lines.add(p.run() + ",dlm," + p.n() + "," + p.u() + "," + p.d() + "," + p.loss());
        }
        Files.write(dir.resolve("quokka.csv"), lines);
        JsonNode[] intervals = new JsonNode[2];
        String[] where = {"driver", "spark"};
        for (int k = 0; k < 2; k++) {
            Path out = dir.resolve("boot-" + where[k]);
            CliTest.Result r = CliTest.run("fit", "--master", "local[2]", "--points", dir.resolve("quokka.csv").toString(), "--law", "quokka",
                    "--bootstrap", "12", "--bootstrap-on", where[k], "--output", out.toString());
            assertEquals(0, r.code(), r.err());
            intervals[k] = new ObjectMapper().readTree(out.resolve("fit.json").toFile()).get("intervals");
        }
        assertEquals(10, intervals[0].size());
        assertEquals(intervals[0], intervals[1]);
    }
}
