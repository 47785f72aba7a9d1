package dev.quokka.analysis;

import java.util.Map;

/**
 * A scaling law with its constants: the validation loss (nats per token) it predicts for a model of N parameters
 * trained on D tokens drawn from U unique ones (e = D / U epochs). Laws that ignore repetition ignore U.
 */
public sealed interface Law extends java.io.Serializable permits ChinchillaLaw, MuennighoffLaw, QuokkaLaw {

    double loss(double n, double u, double d);

    /** The form's name: chinchilla, muennighoff or quokka. */
    String form();

    /** The constants by name, in the form's order. */
    Map<String, Double> constants();

    /** A law from its form and constants by name, as {@link #constants()} gives them (fit.json). */
    static Law of(String form, Map<String, Double> c) {
        java.util.function.ToDoubleFunction<String> k = name -> {
            Double v = c.get(name);
            if (v == null) throw new IllegalArgumentException("the " + form + " law needs the constant " + name + " (has " + c.keySet() + ")");
            return v;
        };
        ChinchillaLaw base = form.equals("quokka") ? null : new ChinchillaLaw(k.applyAsDouble("E"), k.applyAsDouble("A"), k.applyAsDouble("alpha"),
                k.applyAsDouble("B"), k.applyAsDouble("beta"));
        return switch (form) {
            case "chinchilla" -> base;
            case "muennighoff" -> new MuennighoffLaw(base, k.applyAsDouble("R_D*"), k.applyAsDouble("R_N*"));
            case "quokka" -> new QuokkaLaw(k.applyAsDouble("E"), k.applyAsDouble("A"), k.applyAsDouble("alpha"), k.applyAsDouble("B"),
                    k.applyAsDouble("beta"), k.applyAsDouble("p_e"), k.applyAsDouble("gamma"), k.applyAsDouble("c_p"), k.applyAsDouble("m_p"),
                    k.applyAsDouble("k_p"));
            default -> throw new IllegalArgumentException("unknown law form " + form + " (chinchilla, muennighoff or quokka)");
        };
    }

    /** The names of the published fits in docs/laws.md. */
    java.util.List<String> PUBLISHED = java.util.List.of("quokka-dlm", "quokka-dlm-compute", "chinchilla", "chinchilla-epoch", "muennighoff");

    /** A published fit by name (see {@link #PUBLISHED}). */
    static Law published(String name) {
        return switch (name) {
            case "quokka-dlm" -> QuokkaLaw.DLM;
            case "quokka-dlm-compute" -> ChinchillaLaw.QUOKKA_DLM;
            case "chinchilla" -> ChinchillaLaw.HOFFMANN;
            case "chinchilla-epoch" -> ChinchillaLaw.EPOCH_AI;
            case "muennighoff" -> MuennighoffLaw.AR;
            default -> throw new IllegalArgumentException("no published law " + name + "; known: " + String.join(", ", PUBLISHED));
        };
    }
}
