package dev.quokka.jobs.options;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quokka.analysis.Bootstrap;
import dev.quokka.analysis.ChinchillaForm;
import dev.quokka.analysis.ChinchillaLaw;
import dev.quokka.analysis.FitData;
import dev.quokka.analysis.FitPoint;
import dev.quokka.analysis.Fitter;
import dev.quokka.analysis.FixedForm;
import dev.quokka.analysis.Form;
import dev.quokka.analysis.Identifiability;
import dev.quokka.analysis.IsoFlop;
import dev.quokka.analysis.IsoFlopReport;
import dev.quokka.analysis.Law;
import dev.quokka.analysis.OptimalEpochs;
import dev.quokka.analysis.PointsTable;
import dev.quokka.analysis.Quantities;
import dev.quokka.analysis.QuokkaForm;
import dev.quokka.analysis.Report;
import dev.quokka.analysis.TwoStage;
import dev.quokka.dataprep.provenance.AtomicOutput;
import dev.quokka.dataprep.provenance.BuildInfo;
import dev.quokka.dataprep.provenance.FitManifest;
import dev.quokka.dataprep.provenance.InputFiles;
import dev.quokka.dataprep.provenance.ManifestJson;
import dev.quokka.jobs.runtime.SparkSessions;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Option;

/** The fitting options and steps that `quokka fit` and `quokka analyze` share (a picocli mixin). */
public final class FitOptions {
    static final String FORMAT = "quokka.fit/1";

    /** More files for the output directory, written into its staging directory before the commit. */
    @FunctionalInterface
    public interface Extra {
        void write(AtomicOutput out) throws IOException;
    }

    @Option(names = "--law", defaultValue = "quokka", description = "chinchilla, muennighoff (two stages: single-epoch points, then R_D* and R_N*), "
            + "quokka, or isoflop (approach 1: a parabola per FLOP budget, then N_opt = k_N C^a, D_opt = k_D C^b) (default: ${DEFAULT-VALUE})") public String law;
    @Option(names = "--budget-tolerance", defaultValue = "" + IsoFlop.DEFAULT_TOLERANCE, description = "isoflop: runs whose C = 6 N D is within this "
            + "relative step of the next smaller one share a budget (default: ${DEFAULT-VALUE})") public double budgetTolerance = IsoFlop.DEFAULT_TOLERANCE;
    @Option(names = "--stage1", description = "muennighoff: take stage 1 instead of fitting it: a published law (chinchilla, "
            + "chinchilla-epoch, muennighoff: his own, quokka-dlm-compute, quokka-dlm: its one-epoch form), a fit.json (or its "
            + "directory), or constants E=..,A=..,alpha=..,B=..,beta=..") String stage1;
    @Option(names = "--fix", split = ",", paramLabel = "NAME=VALUE", description = "Hold these constants at these values; the data "
            + "fit the rest (quokka, chinchilla)") Map<String, Double> fix;
    @Option(names = "--fix-from", paramLabel = "LAW:NAME,...", description = "Hold these constants at a published law's values, "
            + "e.g. quokka-dlm:gamma,k_p,m_p (recorded in fit.json with their source)") public String fixFrom;
    @Option(names = "--objective", description = "Fit only the points of this objective (e.g. dlm or ar)") public String objective;
    @Option(names = "--where", description = "Fit only the points that meet this Spark SQL condition over run, objective, n, u, d "
            + "and loss, e.g. \"n >= 1e8 and d / u <= 100\"; the others are counted as excluded") public String where;
    @Option(names = "--bootstrap", defaultValue = "200", description = "Resamples of the runs for the intervals; 0 for none (default: ${DEFAULT-VALUE})") public int resamples;
    @Option(names = "--level", defaultValue = "0.95", description = "Interval coverage (default: ${DEFAULT-VALUE})") public double level;
    @Option(names = "--seed", defaultValue = "1", description = "Bootstrap seed (default: ${DEFAULT-VALUE})") public long seed;
    @Option(names = "--bootstrap-on", defaultValue = "auto", description = "Where the resamples run: driver (its threads), spark "
            + "(as tasks), or auto: Spark when the cluster has more cores than the driver (default: ${DEFAULT-VALUE}). "
            + "The intervals are the same either way.") public String bootstrapOn;
    /** Checks the options before any data is read. */
    public void validate() {
        if (!List.of("chinchilla", "quokka", "muennighoff", "isoflop").contains(law)) {
            throw new IllegalArgumentException("--law must be chinchilla, muennighoff, quokka or isoflop, not " + law);
        }
        if (!(budgetTolerance > 0)) throw new IllegalArgumentException("--budget-tolerance must be positive, not " + budgetTolerance);
        if (resamples < 0) throw new IllegalArgumentException("--bootstrap must not be negative, not " + resamples);
        if ((fix != null || fixFrom != null) && law.equals("isoflop")) {
            throw new IllegalArgumentException("--fix and --fix-from hold constants of the quokka and chinchilla laws; an isoflop fit has none to hold");
        }
        if (!(level > 0 && level < 1)) throw new IllegalArgumentException("--level must be in (0, 1)");
        if (!List.of("auto", "driver", "spark").contains(bootstrapOn)) {
            throw new IllegalArgumentException("--bootstrap-on must be auto, driver or spark, not " + bootstrapOn);
        }
        if (stage1 != null && !law.equals("muennighoff")) throw new IllegalArgumentException("--stage1 is for --law muennighoff");
        if ((fix != null || fixFrom != null) && law.equals("muennighoff")) {
            throw new IllegalArgumentException("--fix and --fix-from hold constants of the quokka and chinchilla laws; muennighoff's stage 1 is given with --stage1");
        }
        held(); // names and values checked against the form before any data is read
    }

    /** The constants to hold, with where each value came from: "--fix" or a published law's name. */
    Map<String, Held> held() {
        Map<String, Held> out = new java.util.LinkedHashMap<>();
        if (fixFrom != null) {
            int colon = fixFrom.indexOf(':');
            if (colon <= 0 || colon == fixFrom.length() - 1) throw new IllegalArgumentException("--fix-from takes LAW:NAME,..., e.g. quokka-dlm:gamma,k_p; not " + fixFrom);
            String source = fixFrom.substring(0, colon);
            Map<String, Double> published = Law.published(source).constants();
            for (String name : fixFrom.substring(colon + 1).split(",")) {
                Double v = published.get(name.strip());
                if (v == null) throw new IllegalArgumentException("--fix-from: " + source + " has no constant '" + name.strip() + "' (its constants: " + String.join(", ", published.keySet()) + ")");
                out.put(name.strip(), new Held(v, source));
            }
        }
        if (fix != null) {
            fix.forEach((name, v) -> {
                if (v == null || !Double.isFinite(v)) throw new IllegalArgumentException("--fix " + name + ": not a number");
                out.put(name, new Held(v, "--fix"));
            });
        }
        if (!out.isEmpty()) {
            Map<String, Double> values = new java.util.LinkedHashMap<>();
            out.forEach((k, h) -> values.put(k, h.value()));
            try {
                new FixedForm(baseForm(), values);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--fix: " + e.getMessage());
            }
        }
        return out;
    }

    /** A constant held at a value from {@code source}. */
    record Held(double value, String source) {}

    private Form baseForm() {
        return law.equals("quokka") ? new QuokkaForm() : new ChinchillaForm();
    }

    /**
     * Stage 1 of a Muennighoff fit as given: a published law (a Muennighoff law gives its own stage 1, Quokka's its
     * one-epoch form), a fit.json or its directory, or explicit constants.
     */
    static ChinchillaLaw stage1(String spec, Configuration conf) throws IOException {
        if (spec.contains("=")) {
            Map<String, Double> c = new java.util.HashMap<>();
            for (String part : spec.split(",")) {
                String[] kv = part.split("=", 2);
                try {
                    c.put(kv[0].strip(), Double.parseDouble(kv[1].strip()));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("--stage1: '" + part + "' is not NAME=NUMBER");
                }
            }
            return chinchilla(c, "--stage1");
        }
        if (Law.PUBLISHED.contains(spec)) {
            Law l = Law.published(spec);
            if (l instanceof ChinchillaLaw ch) return ch;
            if (l instanceof dev.quokka.analysis.MuennighoffLaw m) return m.onePass();
            if (l instanceof dev.quokka.analysis.QuokkaLaw q) return new ChinchillaLaw(q.e(), q.a(), q.alpha(), q.b(), q.beta());
        }
        Path p = new Path(spec);
        FileSystem fs = p.getFileSystem(conf);
        if (!fs.exists(p)) throw new IllegalArgumentException("--stage1 " + spec + ": not a published law (" + String.join(", ", Law.PUBLISHED) + "), a fit.json or NAME=VALUE constants");
        if (fs.getFileStatus(p).isDirectory()) p = new Path(p, "fit.json");
        com.fasterxml.jackson.databind.JsonNode fit;
        try (var in = fs.open(p)) {
            fit = new ObjectMapper().readTree(in);
        }
        Map<String, Double> c = new java.util.HashMap<>();
        fit.path("law").path("constants").fields().forEachRemaining(f -> c.put(f.getKey(), f.getValue().asDouble()));
        return chinchilla(c, p.toString());
    }

    private static ChinchillaLaw chinchilla(Map<String, Double> c, String where) {
        for (String k : List.of("E", "A", "alpha", "B", "beta")) {
            if (!c.containsKey(k)) throw new IllegalArgumentException(where + ": stage 1 needs E, A, alpha, B and beta; " + k + " is missing");
        }
        return new ChinchillaLaw(c.get("E"), c.get("A"), c.get("alpha"), c.get("B"), c.get("beta"));
    }

    /** The Spark context to run the resamples on, or null for the driver's threads. */
    private JavaSparkContext bootstrapSpark() {
        if (bootstrapOn.equals("driver")) return null;
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(SparkSessions.get("quokka fit").sparkContext());
        boolean larger = sc.defaultParallelism() > Runtime.getRuntime().availableProcessors();
        return bootstrapOn.equals("spark") || larger ? sc : null;
    }

    /**
     * Fits the law to the table's points and writes fit.json and fit.md (and whatever {@code extra} adds) to
     * {@code output}, atomically. {@code source} names the points in messages, {@code nConvention} how they count N.
     */
    public void fitAndWrite(PointsTable.Result table, String source, String nConvention, List<FitManifest.Input> inputs, String output, Extra extra)
            throws IOException {
        validate();
        ChinchillaLaw given = stage1 == null ? null : stage1(stage1, new Configuration());
        Map<String, Held> held = held();
        List<FitPoint> chosen = objective == null ? table.points() : table.points().stream().filter(p -> objective.equals(p.objective())).toList();
        if (law.equals("isoflop")) {
            isoflop(chosen, table, source, nConvention, inputs, output, extra);
            return;
        }
        if (chosen.size() < 10) {
            throw new IllegalArgumentException(source + ": " + chosen.size() + " valid points" + (objective == null ? "" : " of objective " + objective)
                    + ", too few to fit; excluded " + table.excluded());
        }
        FitData data = new FitData(chosen);
        Outcome o = fit(data, given, held);
        FitManifest json = manifest(o, data, chosen, table, given, held, source, nConvention, inputs);
        String md = markdown(json, source, nConvention, o.law(), o.objective(), o.ci(), held, o.identified());
        System.out.print(md);
        write(json, md, Report.files(law + " fit of " + source, o.law(), chosen, md), output, extra);
    }

    /** Approach 1 on the chosen points: fit.json with the allocation and every budget, fit.md, and the profiles' report. */
    private void isoflop(List<FitPoint> chosen, PointsTable.Result table, String source, String nConvention, List<FitManifest.Input> inputs,
                         String output, Extra extra) throws IOException {
        long t0 = System.nanoTime();
        IsoFlop.Fit f;
        try {
            f = IsoFlop.fit(chosen, budgetTolerance, resamples, seed, level);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
        List<FitManifest.Budget> budgets = new ArrayList<>();
        for (IsoFlop.Minimum m : f.minima()) {
            budgets.add(new FitManifest.Budget(m.budget(), m.sizes(), m.nOpt(), m.dOpt(), m.loss(),
                    m.nInterval() == null ? null : List.of(m.nInterval().low(), m.nInterval().high()), null));
        }
        for (IsoFlop.Excluded e : f.excluded()) budgets.add(new FitManifest.Budget(e.budget(), e.sizes(), null, null, null, null, e.reason()));
        budgets.sort(java.util.Comparator.comparingDouble(FitManifest.Budget::flops));
        Map<String, List<Double>> intervals = new LinkedHashMap<>();
        f.intervals().forEach((k, v) -> intervals.put(k, List.of(v.low(), v.high())));
        int runs = (int) chosen.stream().map(FitPoint::run).distinct().count();
        FitManifest json = new FitManifest(FORMAT, new FitManifest.Law("isoflop", f.allocation().constants(), null, null), null, null, null, budgets,
                intervals, level, new FitManifest.Bootstrap(resamples, seed, "run, within its budget", "driver"), null, source, chosen.size(), runs,
                nConvention, objective, where, table.excluded(), table.points().size() - chosen.size(), inputs, (System.nanoTime() - t0) / 1e9,
                BuildInfo.codeVersion());
        String md = isoflopMarkdown(json, f, source, nConvention);
        System.out.print(md);
        write(json, md, IsoFlopReport.files("isoflop fit of " + source, f, chosen, budgetTolerance, md), output, extra);
    }

    private String isoflopMarkdown(FitManifest json, IsoFlop.Fit f, String source, String nConvention) {
        StringBuilder s = new StringBuilder("# isoflop fit of " + source + "\n\n");
        s.append(String.format("%d points in %d runs (N: %s), grouped into %d FLOP budgets (C = 6 N D within %.0f%%); excluded rows: %s%n%n",
                json.points(), json.runs(), nConvention, json.budgets().size(), 100 * budgetTolerance, ManifestJson.tree(json).get("excluded")));
        s.append(String.format("N_opt = k_N C^a, D_opt = k_D C^b (Quokka's Table 1); %.0f%% intervals from %d resamples of the runs within each budget.%n%n",
                100 * level, resamples));
        s.append(String.format("| constant | value | %.0f%% interval |%n|---|---:|---:|%n", 100 * level));
        f.allocation().constants().forEach((k, v) -> {
            Bootstrap.Interval i = f.intervals().get(k);
            s.append(String.format("| %s | %.4g | %s |%n", k, v, i == null ? "-" : String.format("%.4g .. %.4g", i.low(), i.high())));
        });
        s.append(String.format("%n| budget (FLOPs) | sizes | N_opt | %.0f%% interval | D_opt | loss at N_opt |%n|---:|---:|---:|---:|---:|---:|%n", 100 * level));
        for (FitManifest.Budget b : json.budgets()) {
            if (b.excluded() != null) {
                s.append(String.format("| %.3g | %d | excluded: %s | | | |%n", b.flops(), b.sizes(), b.excluded()));
            } else {
                List<Double> in = b.nOptInterval();
                s.append(String.format("| %.3g | %d | %s | %s | %s | %.4f |%n", b.flops(), b.sizes(), Quantities.format(b.nOpt()),
                        in == null ? "-" : Quantities.format(in.get(0)) + " .. " + Quantities.format(in.get(1)), Quantities.format(b.dOpt()), b.loss()));
            }
        }
        return s.append('\n').toString();
    }

    /** A fit, its bootstrap draws (null without resamples), their intervals and, for a one-stage fit, what it identifies. */
    private record Outcome(Law law, double objective, Map<String, Bootstrap.Interval> ci, double[][] draws,
                           List<Identifiability.Constant> identified, double seconds) {}

    private Outcome fit(FitData data, ChinchillaLaw given, Map<String, Held> held) {
        long t0 = System.nanoTime();
        if (law.equals("muennighoff")) {
            TwoStage.Fit fit = TwoStage.fit(data, given);
            double[][] draws = resamples > 0 ? Bootstrap.draws(data, resamples, seed, (d, w) -> TwoStage.refit(fit, d, w), bootstrapSpark()) : null;
            Map<String, Bootstrap.Interval> ci = draws == null ? Map.of() : Bootstrap.intervals(List.copyOf(fit.law().constants().keySet()), draws, level);
            return new Outcome(fit.law(), fit.repetition().objective(), ci, draws, List.of(), (System.nanoTime() - t0) / 1e9);
        }
        Form form = baseForm();
        if (!held.isEmpty()) {
            Map<String, Double> values = new LinkedHashMap<>();
            held.forEach((k, h) -> values.put(k, h.value()));
            form = new FixedForm(form, values);
        }
        Fitter.Fit fit = Fitter.fit(form, data);
        double[][] draws = resamples > 0 ? Bootstrap.draws(data, resamples, seed, Bootstrap.refit(fit), bootstrapSpark()) : null;
        Map<String, Bootstrap.Interval> ci = new LinkedHashMap<>(draws == null ? Map.of()
                : Bootstrap.intervals(List.copyOf(fit.law().constants().keySet()), draws, level));
        ci.keySet().removeAll(held.keySet()); // a held constant has no interval of its own
        return new Outcome(fit.law(), fit.objective(), ci, draws, Identifiability.report(fit, data, ci), (System.nanoTime() - t0) / 1e9);
    }

    private FitManifest manifest(Outcome o, FitData data, List<FitPoint> chosen, PointsTable.Result table, ChinchillaLaw given,
                                 Map<String, Held> held, String source, String nConvention, List<FitManifest.Input> inputs) {
        Map<String, FitManifest.Held> fixed = new LinkedHashMap<>();
        held.forEach((k, h) -> fixed.put(k, new FitManifest.Held(h.value(), h.source())));
        Map<String, Object> identifiability = null;
        if (!o.identified().isEmpty()) {
            identifiability = new LinkedHashMap<>();
            identifiability.put("method", "per free constant: the bootstrap interval's spread, and the objective's relative rise when the "
                    + "constant is held a factor of 2 away (a quarter of its size for a signed one) and the rest refitted; unidentified if that "
                    + "rise is under " + Identifiability.FLAT + " on a side or the interval spans over 100x, loose if it spans over 2x");
            for (Identifiability.Constant c : o.identified()) {
                identifiability.put(c.name(), new FitManifest.Verdict(c.verdict(), c.spread(), c.riseLow(), c.riseHigh()));
            }
        }
        List<FitManifest.Cell> cells = null;
        if (o.law() instanceof dev.quokka.analysis.QuokkaLaw q) {
            cells = new ArrayList<>();
            for (OptimalEpochs.Cell c : OptimalEpochs.cells(q, chosen, o.draws(), level)) {
                cells.add(new FitManifest.Cell(c.n(), c.u(), c.eOpt(), c.eLast(), c.improvingToTheEnd(), c.reading(),
                        c.interval() == null ? null : List.of(c.interval().low(), c.interval().high())));
            }
        }
        Map<String, List<Double>> intervals = new LinkedHashMap<>();
        o.ci().forEach((k, v) -> intervals.put(k, List.of(v.low(), v.high())));
        return new FitManifest(FORMAT,
                new FitManifest.Law(o.law().form(), o.law().constants(), stage1, given == null ? null : given.constants()),
                fixed.isEmpty() ? null : fixed, identifiability, cells, null, intervals, level,
                new FitManifest.Bootstrap(resamples, seed, "run", bootstrapOn),
                new FitManifest.Objective("sum of Huber(log L_pred - log L_obs)", 1e-3, o.objective()), source, data.size(), data.runs(), nConvention,
                objective, where, table.excluded(), table.points().size() - chosen.size(), inputs, o.seconds(), BuildInfo.codeVersion());
    }

    /** fit.json, fit.md, the report's plots and the caller's extra files, as one atomic output. */
    private void write(FitManifest json, String md, Map<String, byte[]> report, String output, Extra extra) throws IOException {
        AtomicOutput out = new AtomicOutput(output, new Configuration());
        out.begin();
        try {
            out.writeText("fit.json", ManifestJson.pretty(json));
            out.writeText("fit.md", md);
            for (Map.Entry<String, byte[]> f : report.entrySet()) {
                out.writeBytes(f.getKey(), f.getValue());
            }
            extra.write(out);
            out.commit(ManifestJson.tree(json));
        } catch (RuntimeException | IOException e) {
            out.abort();
            throw e;
        }
        System.out.println("wrote " + out.target());
    }

    private String markdown(FitManifest json, String source, String nConvention, Law fitted, double value, Map<String, Bootstrap.Interval> ci,
                            Map<String, Held> held, List<Identifiability.Constant> identified) {
        StringBuilder s = new StringBuilder("# " + law + " fit of " + source + "\n\n");
        s.append(String.format("%d points in %d runs (N: %s); excluded: %s; objective %.6g%n%n", json.points(), json.runs(),
                nConvention, ManifestJson.tree(json).get("excluded"), value));
        Map<String, String> verdicts = new java.util.HashMap<>();
        identified.forEach(c -> verdicts.put(c.name(), c.verdict()));
        s.append(String.format("| constant | value | %.0f%% interval | what the data say |%n|---|---:|---:|---|%n", 100 * level));
        fitted.constants().forEach((k, v) -> {
            Bootstrap.Interval i = ci.get(k);
            String said = held.containsKey(k) ? "held (" + held.get(k).source() + ")" : verdicts.getOrDefault(k, "");
            s.append(String.format("| %s | %.6g | %s | %s |%n", k, v, i == null ? "-" : String.format("%.4g .. %.4g", i.low(), i.high()), said));
        });
        long unidentified = identified.stream().filter(c -> c.verdict().equals("unidentified")).count();
        if (unidentified > 0) {
            s.append(String.format("%n%d of %d free constants are not identified by these points: the objective hardly moves when each is held at "
                    + "twice or half its value and the rest refitted. Hold them (--fix, --fix-from) to fit the others.%n", unidentified, identified.size()));
        }
        if (json.eOpt() != null && !json.eOpt().isEmpty()) {
            s.append(String.format("%n| N | U | e_opt | %.0f%% interval | last epoch |%n|---:|---:|---:|---:|---:|%n", 100 * level));
            for (FitManifest.Cell c : json.eOpt()) {
                List<Double> in = c.interval();
                s.append(String.format("| %s | %s | %s | %s | %s |%n", Quantities.format(c.n()), Quantities.format(c.u()), c.reads(),
                        in != null ? String.format("%.3g .. %.3g", in.get(0), in.get(1)) : "-", String.format("%.3g", c.eLast())));
            }
        }
        return s.append('\n').toString();
    }

    /**
     * Path, size and SHA-256 of every input file: a path that is a directory stands for its visible files. The files
     * are hashed on the executors; only the listing happens here.
     */
    public static List<FitManifest.Input> checksums(List<String> paths) throws IOException {
        Configuration conf = new Configuration();
        Map<String, Long> sizes = new TreeMap<>();
        for (String path : paths) {
            Path p = new Path(path);
            FileSystem fs = p.getFileSystem(conf);
            FileStatus status = fs.getFileStatus(p);
            FileStatus[] files = status.isDirectory()
                    ? fs.listStatus(p, f -> !f.getName().startsWith("_") && !f.getName().startsWith(".")) : new FileStatus[] {status};
            for (FileStatus f : files) sizes.put(f.getPath().toString(), f.getLen());
        }
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(SparkSessions.get("quokka").sparkContext());
        Map<String, String> sha = InputFiles.sha256s(sc, List.copyOf(sizes.keySet()));
        List<FitManifest.Input> out = new ArrayList<>();
        sizes.forEach((path, bytes) -> out.add(new FitManifest.Input(path, bytes, sha.get(path))));
        return out;
    }
}
