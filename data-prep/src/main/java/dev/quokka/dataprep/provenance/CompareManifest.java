package dev.quokka.dataprep.provenance;

import java.util.List;

/**
 * {@code _manifest.json} of a comparison of runs by training options ({@code quokka compare}): the axes, how many
 * runs and cells, and every input file with its checksum (docs/formats.md, "Comparisons").
 */
public record CompareManifest(String format, List<String> axes, int runs, int cells, List<FitManifest.Input> inputs, String codeVersion) {}
