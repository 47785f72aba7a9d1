package dev.quokka.dataprep.provenance;

import java.util.List;
import java.util.Map;

/** {@code _manifest.json} of a plan ({@code quokka plan --output}): the law it used and the grid it was asked for. */
public record PlanManifest(String format, String law, String form, Map<String, Double> constants, String versus, List<String> n,
                           List<String> u, List<String> budgets, String budgetU, String codeVersion) {}
