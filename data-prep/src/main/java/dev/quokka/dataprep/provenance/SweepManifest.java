package dev.quokka.dataprep.provenance;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * {@code sweep.json} of a sweep ({@code quokka sweep}): the spec as given, its expansion into runs and, once the sweep
 * has ended, how each run ended. Written when the sweep starts ({@code running}) and again when it ends.
 *
 * @param status {@code running}, {@code complete} (every run complete) or {@code incomplete}
 */
public record SweepManifest(String format, String status, JsonNode spec, List<Run> runs, String codeVersion) {

    /** @param toMax a warmup-stable run to e_max, evaluated at every epoch; status and error once the sweep has ended */
    public record Run(String name, String study, String objective, String model, long uniqueTokens, double epochs, boolean toMax, long seed,
                      String status, String error) {}
}
