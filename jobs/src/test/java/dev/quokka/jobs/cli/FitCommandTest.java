package dev.quokka.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quokka.analysis.ChinchillaLaw;
import dev.quokka.analysis.FitPoint;
import dev.quokka.analysis.Law;
import dev.quokka.analysis.Synthetic;
import dev.quokka.jobs.CliTest;
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
                lines.add("r" + lines.size() + ",ar," + n + "," + d + "," + d + "," + ChinchillaLaw.EPOCH_AI.loss(n, d, d) * Math.exp(0.01 * rng.nextGaussian()));
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
        assertEquals(ChinchillaLaw.EPOCH_AI.alpha(), fit.get("law").get("constants").get("alpha").asDouble(), 0.05 * ChinchillaLaw.EPOCH_AI.alpha());
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

    /**
     * Issue 20's must-show: a table made from Muennighoff's own AR law (every size over-parameterised for its U, every
     * epoch count to 100), refitted in stage 2 from its stage 1 given as explicit constants, gives back the R_D* and R_N*
     * that generated it.
     */
    @Test
    void muennighoffsStageTwoFromGivenStageOneConstantsComesBack() throws Exception {
        dev.quokka.analysis.MuennighoffLaw truth = dev.quokka.analysis.MuennighoffLaw.AR;
        List<String> lines = new ArrayList<>(List.of("run,objective,N,U,D,loss"));
        java.util.Random rng = new java.util.Random(5);
        int run = 0;
        for (double u : new double[] {1e8, 4e8, 1.6e9}) {
            for (double n : Synthetic.logSpace(1e8, 8e9, 5)) {
                run++;
                for (double e : new double[] {1, 2, 4, 8, 16, 32, 64, 100}) {
                    double d = u * e;
                    lines.add("r" + run + ",ar," + n + "," + u + "," + d + "," + truth.loss(n, u, d) * Math.exp(0.003 * rng.nextGaussian()));
                }
            }
        }
        Path table = dir.resolve("muennighoff.csv");
        Files.write(table, lines);
        ChinchillaLaw s1 = truth.onePass();
        String stage1 = "E=" + s1.e() + ",A=" + s1.a() + ",alpha=" + s1.alpha() + ",B=" + s1.b() + ",beta=" + s1.beta();
        Path out = dir.resolve("muennighoff");
        CliTest.Result r = CliTest.run("fit", "--master", "local[2]", "--points", table.toString(), "--law", "muennighoff", "--stage1", stage1,
                "--bootstrap", "10", "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode fit = new ObjectMapper().readTree(out.resolve("fit.json").toFile());
        JsonNode c = fit.get("law").get("constants");
        assertEquals(truth.rD(), c.get("R_D*").asDouble(), 0.05 * truth.rD(), c.toString());
        assertEquals(truth.rN(), c.get("R_N*").asDouble(), 0.05 * truth.rN(), c.toString());
        assertEquals(s1.alpha(), fit.get("law").get("stage1_constants").get("alpha").asDouble(), 1e-12);

        // The same stage 1 by its published name, and from the fit.json just written.
        for (String given : List.of("muennighoff", out.toString())) {
            Path again = dir.resolve("muennighoff-" + Math.abs(given.hashCode()));
            assertEquals(0, CliTest.run("fit", "--points", table.toString(), "--law", "muennighoff", "--stage1", given, "--bootstrap", "0",
                    "--output", again.toString()).code());
            JsonNode c2 = new ObjectMapper().readTree(again.resolve("fit.json").toFile()).get("law").get("constants");
            assertEquals(c.get("R_D*").asDouble(), c2.get("R_D*").asDouble(), 1e-6 * truth.rD(), given);
        }
        CliTest.Result bad = CliTest.run("fit", "--points", table.toString(), "--law", "muennighoff", "--stage1", "E=1.8,A=500",
                "--output", dir.resolve("never").toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("stage 1 needs E, A, alpha, B and beta; alpha is missing"), bad.err());
    }

    /** Held constants are recorded with their sources and have no interval; the report says what the data identify. */
    @Test
    void heldConstantsAreRecordedWithWhereTheyCameFrom() throws Exception {
        dev.quokka.analysis.QuokkaLaw truth = dev.quokka.analysis.QuokkaLaw.DLM;
        double[] epochs = {1, 2, 3, 4, 6, 8, 12, 16};
        List<FitPoint> points = Synthetic.points(new dev.quokka.analysis.QuokkaLaw(1.0, truth.a(), truth.alpha(), truth.b(), truth.beta(), truth.pE(),
                truth.gamma(), truth.cP(), truth.mP(), truth.kP()), new double[] {1e8, 3e8, 1e9}, new double[] {1e9, 4e9}, epochs, 0.01, 2);
        List<String> lines = new ArrayList<>(List.of("run,objective,N,U,D,loss"));
        for (FitPoint p : points) lines.add(p.run() + ",dlm," + p.n() + "," + p.u() + "," + p.d() + "," + p.loss());
        Path table = dir.resolve("quokka.csv");
        Files.write(table, lines);
        Path out = dir.resolve("held");
        CliTest.Result r = CliTest.run("fit", "--master", "local[2]", "--points", table.toString(), "--law", "quokka", "--fix-from",
                "quokka-dlm:gamma,k_p,m_p", "--fix", "c_p=254.35", "--bootstrap", "8", "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode fit = new ObjectMapper().readTree(out.resolve("fit.json").toFile());
        assertEquals("quokka-dlm", fit.get("fixed").get("gamma").get("from").asText());
        assertEquals("--fix", fit.get("fixed").get("c_p").get("from").asText());
        assertEquals(truth.gamma(), fit.get("law").get("constants").get("gamma").asDouble(), 1e-12);
        assertTrue(!fit.get("intervals").has("gamma") && fit.get("intervals").has("p_e"), fit.get("intervals").toString());
        assertEquals(6, fit.get("identifiability").size() - 1, fit.get("identifiability").toString()); // and its method
        assertEquals(6, fit.get("e_opt").size(), "one per (N, U) cell");
        for (JsonNode cell : fit.get("e_opt")) assertTrue(cell.get("reads").asText().startsWith("> 16 (fit: "), cell.toString());
        assertTrue(Files.readString(out.resolve("fit.md")).contains("| gamma | 0.395500 | - | held (quokka-dlm) |"), Files.readString(out.resolve("fit.md")));

        CliTest.Result unknown = CliTest.run("fit", "--points", table.toString(), "--law", "quokka", "--fix", "R_D=3", "--output", dir.resolve("never").toString());
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("--fix: the law has no constant 'R_D'"), unknown.err());
    }

    /**
     * Approach 1 from a table without U (published IsoFLOP points read off a figure lie only near their budgets): the
     * allocation of the law that made the points comes back within its interval, a budget that does not bracket its
     * minimum is excluded and said to be, and the fit plans Tables 1 and 2.
     */
    @Test
    void isoflopProfilesFitTheirAllocationAndPlanIt() throws Exception {
        ChinchillaLaw truth = ChinchillaLaw.EPOCH_AI;
        dev.quokka.analysis.ComputeAllocation expected = dev.quokka.analysis.ComputeAllocation.of(truth);
        List<String> lines = new ArrayList<>(List.of("run,N,D,loss"));
        java.util.Random rng = new java.util.Random(4);
        for (double c : new double[] {1e18, 3e18, 1e19, 3e19, 1e20}) {
            for (int k = -3; k <= 3; k++) {
                double cc = c * (1 + 0.2 * (2 * rng.nextDouble() - 1)), n = expected.nOpt(c) * Math.pow(2, k), d = cc / (6 * n);
                lines.add("r" + lines.size() + "," + n + "," + d + "," + truth.loss(n, d, d) * (1 + 0.002 * rng.nextGaussian()));
            }
        }
        for (int k = 2; k <= 4; k++) { // a budget whose sizes are all above its optimum
            double n = expected.nOpt(1e21) * Math.pow(2, k), d = 1e21 / (6 * n);
            lines.add("r" + lines.size() + "," + n + "," + d + "," + truth.loss(n, d, d));
        }
        Path table = dir.resolve("isoflop.csv");
        Files.write(table, lines);
        Path out = dir.resolve("isoflop");
        CliTest.Result r = CliTest.run("fit", "--master", "local[2]", "--points", table.toString(), "--law", "isoflop", "--bootstrap", "100",
                "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode fit = new ObjectMapper().readTree(out.resolve("fit.json").toFile());
        assertEquals("isoflop", fit.get("law").get("form").asText());
        JsonNode a = fit.get("intervals").get("a");
        assertTrue(a.get(0).asDouble() <= expected.a() && expected.a() <= a.get(1).asDouble(), "a = " + expected.a() + " outside " + a);
        assertEquals(6, fit.get("budgets").size());
        JsonNode last = fit.get("budgets").get(5);
        assertTrue(last.get("excluded").asText().contains("below its sizes"), last.toString());
        for (int i = 0; i < 5; i++) assertEquals(2, fit.get("budgets").get(i).get("n_opt_interval").size());
        for (String f : List.of("fit.md", "report.html", "isoflop-profiles.png", "optimal-allocation.png", "_SUCCESS")) assertTrue(Files.exists(out.resolve(f)), f);

        CliTest.Result plan = CliTest.run("plan", "--fit", out.toString(), "--n", "1B", "--output", dir.resolve("isoplan").toString());
        assertEquals(0, plan.code(), plan.err());
        assertTrue(Files.readString(dir.resolve("isoplan/by-size.csv")).startsWith("N,FLOPs,tokens,tokens per parameter\n1B,"));

        CliTest.Result held = CliTest.run("fit", "--points", table.toString(), "--law", "isoflop", "--fix", "a=0.5", "--output", dir.resolve("never").toString());
        assertEquals(2, held.code());
        assertTrue(held.err().contains("an isoflop fit has none to hold"), held.err());
    }
}
