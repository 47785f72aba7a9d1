package dev.quokka.dataprep.provenance;

import java.util.List;
import java.util.Map;

/**
 * {@code fit.json} of a law fitted to points ({@code quokka fit}, {@code quokka analyze}, a study's fits): the law,
 * what was held and what the data identify, e_opt per cell, the bootstrap and the inputs (docs/formats.md, "Fits").
 * Absent parts are null: {@code fixed} when nothing was held, {@code identifiability} and {@code e_opt} for the laws
 * that have none, {@code budgets} but for IsoFLOP fits (whose {@code objective} is null: they are least squares).
 *
 * @param identifiability {@code method}, then one {@link Verdict} per free constant, by name
 * @param intervals       per constant, the bootstrap's [low, high] at {@code level}
 */
public record FitManifest(String format, Law law, Map<String, Held> fixed, Map<String, Object> identifiability, List<Cell> eOpt,
                          List<Budget> budgets, Map<String, List<Double>> intervals, double level, Bootstrap bootstrap, Objective objective, String source,
                          int points, int runs, String nConvention, String objectiveFilter, String where, Map<String, Long> excluded,
                          long excludedByObjective, List<Input> inputs, double fitSeconds, String codeVersion) {

    /** @param stage1Given Muennighoff's stage 1 as given by {@code --stage1}, with its constants */
    public record Law(String form, Map<String, Double> constants, String stage1Given, Map<String, Double> stage1Constants) {}

    /** A constant held at a value, and where the value came from. */
    public record Held(double value, String from) {}

    public record Verdict(String verdict, double spread, double profileRiseLow, double profileRiseHigh) {}

    /** e_opt of one (N, U) cell of the data; {@code reads} is what may be said, e.g. "> 16 (fit: 40)". */
    public record Cell(double n, double u, double eOpt, double eLast, boolean bestAtLastEpoch, String reads, List<Double> interval) {}

    /**
     * One FLOP budget of an IsoFLOP fit: its runs' geometric-mean C and number of sizes, and either its minimum (N_opt,
     * D_opt = C / 6 N_opt, the parabola's loss there, N_opt's interval) or why it was excluded.
     */
    public record Budget(double flops, int sizes, Double nOpt, Double dOpt, Double loss, List<Double> nOptInterval, String excluded) {}

    public record Bootstrap(int resamples, long seed, String unit, String on) {}

    public record Objective(String name, double delta, double value) {}

    /** An input file: its path, size and SHA-256. */
    public record Input(String path, long bytes, String sha256) {}
}
