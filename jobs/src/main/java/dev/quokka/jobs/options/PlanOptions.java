package dev.quokka.jobs.options;

import dev.quokka.analysis.Law;
import dev.quokka.analysis.PlanTables;
import dev.quokka.analysis.Quantities;
import dev.quokka.analysis.QuokkaLaw;
import dev.quokka.analysis.Table;
import dev.quokka.dataprep.provenance.AtomicOutput;
import dev.quokka.dataprep.provenance.BuildInfo;
import dev.quokka.dataprep.provenance.ManifestJson;
import dev.quokka.dataprep.provenance.PlanManifest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Option;

/**
 * What `quokka plan` plans, and how: the law, the sizes, budgets and unique-token budgets of its tables, and where
 * they go. `quokka plan` mixes it in; a study's pipeline plans with its fitted law through it.
 */
public final class PlanOptions {
    private static final String PAPER_N = "400M,1B,10B,67B,175B,280B,520B,1T,10T";
    private static final String PAPER_U = "10M,100M,1B,10B,100B,1T,10T,100T,1000T";

    @Option(names = "--law", defaultValue = "quokka-dlm", description = "A published law: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})",
            completionCandidates = Names.class) public String law;
    @Option(names = "--fit", description = "A `quokka fit` output directory (or its fit.json): plan with the fitted law instead") String fit;
    @Option(names = "--n", split = ",", defaultValue = PAPER_N, description = "Model sizes for the e_opt table (default: Quokka Table 3's)") public List<String> ns;
    @Option(names = "--u", split = ",", defaultValue = PAPER_U, description = "Unique-token budgets (default: Quokka Table 3's)") public List<String> us;
    @Option(names = "--budgets", split = ",", defaultValue = "1e18,1e19,1e20,1e21,1e22,1e23,1e24", description = "FLOP budgets for the compute-optimal table (default: ${DEFAULT-VALUE})") public List<String> budgets;
    @Option(names = "--budget-u", description = "Unique tokens available to the compute-optimal table (default: unlimited)") String budgetU;
    @Option(names = "--versus", description = "A second published law: add C_crit(U) between the two") String versus;
    @Option(names = "--output", description = "A directory for plan.md, the CSVs and a manifest") public String output;

    static final class Names extends ArrayList<String> {
        Names() {
            super(Law.PUBLISHED);
        }
    }

    /** Plans with the fitted law of --fit, or the published one named by --law. */
    public int run() throws java.io.IOException {
        if (fit != null) {
            Law fitted = fitted(fit);
            law = "fit " + fit;
            return plan(fitted);
        }
        return plan(Law.published(law));
    }

    /** The law a `quokka fit` wrote. */
    public static Law fitted(String fitPath) throws java.io.IOException {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(fitPath);
        org.apache.hadoop.fs.FileSystem fs = p.getFileSystem(new Configuration());
        if (fs.getFileStatus(p).isDirectory()) p = new org.apache.hadoop.fs.Path(p, "fit.json");
        com.fasterxml.jackson.databind.JsonNode json;
        try (var in = fs.open(p)) {
            json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(in);
        }
        if (!FitOptions.FORMAT.equals(json.path("format").asText())) throw new IllegalArgumentException(p + ": not a quokka fit (format " + json.path("format") + ")");
        Map<String, Double> constants = new LinkedHashMap<>();
        json.path("law").path("constants").fields().forEachRemaining(e -> constants.put(e.getKey(), e.getValue().asDouble()));
        return Law.of(json.path("law").path("form").asText(), constants);
    }

    public int plan(Law chosen) throws java.io.IOException {
        double[] u = parse(us), budgetList = parse(budgets);
        Map<String, Table> tables = new LinkedHashMap<>();
        if (chosen instanceof QuokkaLaw q) {
            tables.put("epochs", PlanTables.optimalEpochs(q, parse(ns), u));
            tables.put("joint", PlanTables.jointOptima(q, u));
        }
        tables.put("compute", PlanTables.computeOptimal(chosen, budgetList, budgetU == null ? Double.POSITIVE_INFINITY : Quantities.parse(budgetU)));
        if (versus != null) tables.put("critical", PlanTables.criticalCompute(law, chosen, versus, Law.published(versus), u));

        StringBuilder md = new StringBuilder("# Plan with " + law + " (" + chosen.form() + ")\n\nConstants: " + chosen.constants() + "\n\n");
        for (Table t : tables.values()) md.append(t.markdown()).append('\n');
        System.out.print(md);
        if (output != null) write(md.toString(), tables, chosen);
        return 0;
    }

    private void write(String md, Map<String, Table> tables, Law chosen) throws java.io.IOException {
        AtomicOutput out = new AtomicOutput(output, new Configuration());
        out.begin();
        try {
            out.writeText("plan.md", md);
            for (Map.Entry<String, Table> t : tables.entrySet()) out.writeText(t.getKey() + ".csv", t.getValue().csv());
            out.commit(ManifestJson.tree(new PlanManifest("quokka.plan/1", law, chosen.form(), chosen.constants(), versus, ns, us, budgets,
                    budgetU, BuildInfo.codeVersion())));
        } catch (RuntimeException | java.io.IOException e) {
            out.abort();
            throw e;
        }
        System.out.println("wrote " + out.target());
    }

    private static double[] parse(List<String> values) {
        return values.stream().mapToDouble(Quantities::parse).toArray();
    }
}
