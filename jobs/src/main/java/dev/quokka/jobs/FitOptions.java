package dev.quokka.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quokka.analysis.Bootstrap;
import dev.quokka.analysis.Chinchilla;
import dev.quokka.analysis.ChinchillaForm;
import dev.quokka.analysis.FitData;
import dev.quokka.analysis.FitPoint;
import dev.quokka.analysis.Fitter;
import dev.quokka.analysis.Law;
import dev.quokka.analysis.PointsTable;
import dev.quokka.analysis.QuokkaForm;
import dev.quokka.analysis.Report;
import dev.quokka.analysis.TwoStage;
import dev.quokka.dataprep.AtomicOutput;
import dev.quokka.dataprep.BuildInfo;
import dev.quokka.dataprep.InputFiles;
import java.io.IOException;
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
final class FitOptions {
    static final String FORMAT = "quokka.fit/1";

    /** More files for the output directory, written into its staging directory before the commit. */
    @FunctionalInterface
    interface Extra {
        void write(AtomicOutput out) throws IOException;
    }

    @Option(names = "--law", defaultValue = "quokka", description = "chinchilla, muennighoff (two stages: single-epoch points, then R_D* and R_N*) or quokka (default: ${DEFAULT-VALUE})") String law;
    @Option(names = "--stage1", description = "muennighoff: take stage 1 from this published law (e.g. chinchilla-epoch) instead of fitting it") String stage1;
    @Option(names = "--objective", description = "Fit only the points of this objective (e.g. dlm or ar)") String objective;
    @Option(names = "--where", description = "Fit only the points that meet this Spark SQL condition over run, objective, n, u, d "
            + "and loss, e.g. \"n >= 1e8 and d / u <= 100\"; the others are counted as excluded") String where;
    @Option(names = "--bootstrap", defaultValue = "200", description = "Resamples of the runs for the intervals; 0 for none (default: ${DEFAULT-VALUE})") int resamples;
    @Option(names = "--level", defaultValue = "0.95", description = "Interval coverage (default: ${DEFAULT-VALUE})") double level;
    @Option(names = "--seed", defaultValue = "1", description = "Bootstrap seed (default: ${DEFAULT-VALUE})") long seed;
    @Option(names = "--bootstrap-on", defaultValue = "auto", description = "Where the resamples run: driver (its threads), spark "
            + "(as tasks), or auto: Spark when the cluster has more cores than the driver (default: ${DEFAULT-VALUE}). "
            + "The intervals are the same either way.") String bootstrapOn;
    /** Checks the options before any data is read. */
    void validate() {
        if (!List.of("chinchilla", "quokka", "muennighoff").contains(law)) {
            throw new IllegalArgumentException("--law must be chinchilla, muennighoff or quokka, not " + law);
        }
        if (!(level > 0 && level < 1)) throw new IllegalArgumentException("--level must be in (0, 1)");
        if (!List.of("auto", "driver", "spark").contains(bootstrapOn)) {
            throw new IllegalArgumentException("--bootstrap-on must be auto, driver or spark, not " + bootstrapOn);
        }
        if (stage1 != null && (!law.equals("muennighoff") || !(Law.published(stage1) instanceof Chinchilla))) {
            throw new IllegalArgumentException("--stage1 takes a published Chinchilla-form law, for --law muennighoff");
        }
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
    void fitAndWrite(PointsTable.Result table, String source, String nConvention, ArrayNode inputs, String output, Extra extra) throws IOException {
        validate();
        Chinchilla given = stage1 == null ? null : (Chinchilla) Law.published(stage1);
        List<FitPoint> chosen = objective == null ? table.points() : table.points().stream().filter(p -> objective.equals(p.objective())).toList();
        if (chosen.size() < 10) {
            throw new IllegalArgumentException(source + ": " + chosen.size() + " valid points" + (objective == null ? "" : " of objective " + objective)
                    + ", too few to fit; excluded " + table.excluded());
        }
        FitData data = new FitData(chosen);
        long t0 = System.nanoTime();
        Law fitted;
        double value;
        Map<String, Bootstrap.Interval> ci = Map.of();
        if (law.equals("muennighoff")) {
            TwoStage.Fit fit = TwoStage.fit(data, given);
            fitted = fit.law();
            value = fit.repetition().objective();
            if (resamples > 0) ci = Bootstrap.intervals(fitted, data, resamples, seed, level, (d, w) -> TwoStage.refit(fit, d, w), bootstrapSpark());
        } else {
            Fitter.Fit fit = Fitter.fit(law.equals("quokka") ? new QuokkaForm() : new ChinchillaForm(), data);
            fitted = fit.law();
            value = fit.objective();
            if (resamples > 0) ci = Bootstrap.intervals(fit.law(), data, resamples, seed, level, Bootstrap.refit(fit), bootstrapSpark());
        }
        double seconds = (System.nanoTime() - t0) / 1e9;

        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put("format", FORMAT);
        ObjectNode lawNode = json.putObject("law");
        lawNode.put("form", fitted.form());
        fitted.constants().forEach(lawNode.putObject("constants")::put);
        if (stage1 != null) lawNode.put("stage1_given", stage1);
        ObjectNode intervals = json.putObject("intervals");
        ci.forEach((k, v) -> intervals.putArray(k).add(v.low()).add(v.high()));
        json.put("level", level);
        json.putObject("bootstrap").put("resamples", resamples).put("seed", seed).put("unit", "run").put("on", bootstrapOn);
        json.putObject("objective").put("name", "sum of Huber(log L_pred - log L_obs)").put("delta", 1e-3).put("value", value);
        json.put("source", source);
        json.put("points", data.size()).put("runs", data.runs()).put("n_convention", nConvention);
        if (objective != null) json.put("objective_filter", objective);
        if (where != null) json.put("where", where);
        ObjectNode excluded = json.putObject("excluded");
        table.excluded().forEach(excluded::put);
        json.put("excluded_by_objective", table.points().size() - chosen.size());
        json.set("inputs", inputs);
        json.put("fit_seconds", seconds);
        json.put("code_version", BuildInfo.codeVersion());

        String md = markdown(json, source, nConvention, fitted, value, ci);
        System.out.print(md);
        AtomicOutput out = new AtomicOutput(output, new Configuration());
        out.begin();
        try {
            out.writeText("fit.json", new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(json));
            out.writeText("fit.md", md);
            for (Map.Entry<String, byte[]> f : Report.files(law + " fit of " + source, fitted, chosen, md).entrySet()) {
                out.writeBytes(f.getKey(), f.getValue());
            }
            extra.write(out);
            out.commit(json);
        } catch (RuntimeException | IOException e) {
            out.abort();
            throw e;
        }
        System.out.println("wrote " + out.target());
    }

    private String markdown(ObjectNode json, String source, String nConvention, Law fitted, double value, Map<String, Bootstrap.Interval> ci) {
        StringBuilder s = new StringBuilder("# " + law + " fit of " + source + "\n\n");
        s.append(String.format("%d points in %d runs (N: %s); excluded: %s; objective %.6g%n%n", json.get("points").asInt(), json.get("runs").asInt(),
                nConvention, json.get("excluded"), value));
        s.append(String.format("| constant | value | %.0f%% interval |%n|---|---:|---:|%n", 100 * level));
        fitted.constants().forEach((k, v) -> {
            Bootstrap.Interval i = ci.get(k);
            s.append(String.format("| %s | %.6g | %s |%n", k, v, i == null ? "-" : String.format("%.4g .. %.4g", i.low(), i.high())));
        });
        return s.append('\n').toString();
    }

    /**
     * Path, size and SHA-256 of every input file: a path that is a directory stands for its visible files. The files
     * are hashed on the executors; only the listing happens here.
     */
    static ArrayNode checksums(List<String> paths) throws IOException {
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
        ArrayNode out = JsonNodeFactory.instance.arrayNode();
        sizes.forEach((path, bytes) -> out.addObject().put("path", path).put("bytes", bytes).put("sha256", sha.get(path)));
        return out;
    }
}
