package dev.quokka.jobs.options;

import dev.quokka.analysis.ChinchillaLaw;
import dev.quokka.analysis.ComputeAllocation;
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

    @Option(names = "--law", defaultValue = "quokka-dlm", description = "A published law: ${COMPLETION-CANDIDATES}; quokka-dlm-isoflop is an "
            + "allocation only (Quokka's approach 1, N_opt = 0.0216 C^0.514), planned as Tables 1 and 2 (default: ${DEFAULT-VALUE})",
            completionCandidates = Names.class) public String law;
    @Option(names = "--fit", description = "A `quokka fit` output directory (or its fit.json): plan with the fitted law instead") public String fit;
    @Option(names = "--n", split = ",", defaultValue = PAPER_N, description = "Model sizes for the e_opt table (default: Quokka Table 3's)") public List<String> ns;
    @Option(names = "--u", split = ",", defaultValue = PAPER_U, description = "Unique-token budgets (default: Quokka Table 3's)") public List<String> us;
    @Option(names = "--budgets", split = ",", defaultValue = "1e18,1e19,1e20,1e21,1e22,1e23,1e24", description = "FLOP budgets for the compute-optimal table (default: ${DEFAULT-VALUE})") public List<String> budgets;
    @Option(names = "--budget-u", description = "Unique tokens available to the compute-optimal table (default: unlimited)") String budgetU;
    @Option(names = "--versus", description = "A second published law: add C_crit(U) between the two, and, where both give a "
            + "compute-optimal allocation, how much more data the first wants at each budget") String versus;
    @Option(names = "--versus-fit", description = "A second `quokka fit` output (isoflop or chinchilla): add how much more data the "
            + "first law wants than it at each budget (e.g. a DLM fit against an AR fit)") public String versusFit;
    @Option(names = "--output", description = "A directory for plan.md, the CSVs and a manifest") public String output;

    static final class Names extends ArrayList<String> {
        Names() {
            super(Law.PUBLISHED);
            add(ISOFLOP);
        }
    }

    /** Plans with the fitted law of --fit, or the published one named by --law. */
    public int run() throws java.io.IOException {
        if (fit != null) {
            com.fasterxml.jackson.databind.JsonNode json = fitJson(fit);
            law = "fit " + fit;
            if (json.path("law").path("form").asText().equals("isoflop")) { // approach 1 gives an allocation, not a loss
                Map<String, Double> c = constants(json);
                return plan(new ComputeAllocation(c.get("k_N"), c.get("a"), c.get("k_D"), c.get("b")));
            }
            return plan(Law.of(json.path("law").path("form").asText(), constants(json)));
        }
        if (law.equals(ISOFLOP)) return plan(ComputeAllocation.published(law));
        return plan(Law.published(law));
    }

    /** The D_opt ratio against --versus-fit, or against --versus where that law gives an allocation. */
    private void ratio(Map<String, Table> tables, ComputeAllocation first) throws java.io.IOException {
        String name;
        ComputeAllocation second;
        if (versusFit != null) {
            com.fasterxml.jackson.databind.JsonNode json = fitJson(versusFit);
            String form = json.path("law").path("form").asText();
            Map<String, Double> c = constants(json);
            if (form.equals("isoflop")) second = new ComputeAllocation(c.get("k_N"), c.get("a"), c.get("k_D"), c.get("b"));
            else if (Law.of(form, c) instanceof ChinchillaLaw l) second = ComputeAllocation.of(l);
            else throw new IllegalArgumentException("--versus-fit " + versusFit + ": a " + form + " fit gives no compute-optimal allocation (isoflop or chinchilla do)");
            name = "fit " + versusFit;
        } else if (versus != null && (versus.equals(ISOFLOP) || Law.published(versus) instanceof ChinchillaLaw)) {
            second = ComputeAllocation.published(versus);
            name = versus;
        } else {
            return;
        }
        tables.put("data-ratio", PlanTables.dataRatio(law, first, name, second, parse(budgets)));
    }

    /** The published allocation that is not a loss law (approach 1 gives N_opt and D_opt, no loss). */
    static final String ISOFLOP = "quokka-dlm-isoflop";

    /** Plans with an allocation alone: its constants (Table 1) and the budget and tokens for each --n (Tables 2 and 5). */
    public int plan(ComputeAllocation allocation) throws java.io.IOException {
        Map<String, Table> tables = new LinkedHashMap<>();
        tables.put("allocation", PlanTables.allocationConstants(law, allocation));
        tables.put("by-size", PlanTables.allocationBySize(allocation, parse(ns)));
        ratio(tables, allocation);
        StringBuilder md = new StringBuilder("# Plan with " + law + " (allocation)\n\n");
        for (Table t : tables.values()) md.append(t.markdown()).append('\n');
        System.out.print(md);
        if (output != null) write(md.toString(), tables, "allocation", allocation.constants());
        return 0;
    }

    /** The law a `quokka fit` wrote. */
    public static Law fitted(String fitPath) throws java.io.IOException {
        com.fasterxml.jackson.databind.JsonNode json = fitJson(fitPath);
        return Law.of(json.path("law").path("form").asText(), constants(json));
    }

    /** A `quokka fit` output's fit.json (the directory or the file). */
    private static com.fasterxml.jackson.databind.JsonNode fitJson(String fitPath) throws java.io.IOException {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(fitPath);
        org.apache.hadoop.fs.FileSystem fs = p.getFileSystem(new Configuration());
        if (fs.getFileStatus(p).isDirectory()) p = new org.apache.hadoop.fs.Path(p, "fit.json");
        com.fasterxml.jackson.databind.JsonNode json;
        try (var in = fs.open(p)) {
            json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(in);
        }
        if (!FitOptions.FORMAT.equals(json.path("format").asText())) throw new IllegalArgumentException(p + ": not a quokka fit (format " + json.path("format") + ")");
        return json;
    }

    private static Map<String, Double> constants(com.fasterxml.jackson.databind.JsonNode json) {
        Map<String, Double> constants = new LinkedHashMap<>();
        json.path("law").path("constants").fields().forEachRemaining(e -> constants.put(e.getKey(), e.getValue().asDouble()));
        return constants;
    }

    public int plan(Law chosen) throws java.io.IOException {
        double[] u = parse(us), budgetList = parse(budgets);
        Map<String, Table> tables = new LinkedHashMap<>();
        if (chosen instanceof QuokkaLaw q) {
            tables.put("epochs", PlanTables.optimalEpochs(q, parse(ns), u));
            tables.put("joint", PlanTables.jointOptima(q, u));
        }
        tables.put("compute", PlanTables.computeOptimal(chosen, budgetList, budgetU == null ? Double.POSITIVE_INFINITY : Quantities.parse(budgetU)));
        if (chosen instanceof ChinchillaLaw c) { // approach 2: the same law's allocation, in the paper's layout
            ComputeAllocation allocation = ComputeAllocation.of(c);
            tables.put("allocation", PlanTables.allocationConstants(law, allocation));
            tables.put("by-size", PlanTables.allocationBySize(allocation, parse(ns)));
        }
        if (versus != null && !versus.equals(ISOFLOP)) tables.put("critical", PlanTables.criticalCompute(law, chosen, versus, Law.published(versus), u));
        if (chosen instanceof ChinchillaLaw c) ratio(tables, ComputeAllocation.of(c));

        StringBuilder md = new StringBuilder("# Plan with " + law + " (" + chosen.form() + ")\n\nConstants: " + chosen.constants() + "\n\n");
        for (Table t : tables.values()) md.append(t.markdown()).append('\n');
        System.out.print(md);
        if (output != null) write(md.toString(), tables, chosen.form(), chosen.constants());
        return 0;
    }

    private void write(String md, Map<String, Table> tables, String form, Map<String, Double> constants) throws java.io.IOException {
        AtomicOutput out = new AtomicOutput(output, new Configuration());
        out.begin();
        try {
            out.writeText("plan.md", md);
            for (Map.Entry<String, Table> t : tables.entrySet()) out.writeText(t.getKey() + ".csv", t.getValue().csv());
            out.commit(ManifestJson.tree(new PlanManifest("quokka.plan/1", law, form, constants, versus, ns, us, budgets,
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
