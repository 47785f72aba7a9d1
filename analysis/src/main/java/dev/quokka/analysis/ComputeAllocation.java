package dev.quokka.analysis;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a compute-optimal run splits a FLOP budget C = 6 N D when data is unlimited:
 * <pre>
 *   N_opt(C) = k_N C^a,    D_opt(C) = k_D C^b
 * </pre>
 * the paper's Table 1. Approach 1 (IsoFLOP profiles, {@link IsoFlop}) fits it directly; approach 2 derives it from a
 * Chinchilla-form law ({@link #of(ChinchillaLaw)}). When every run had D = C / (6 N) exactly, a + b = 1 and
 * k_N k_D = 1/6; fitted separately, as the paper does, they need not be.
 */
public record ComputeAllocation(double kN, double a, double kD, double b) implements java.io.Serializable {
    /** Quokka's DLM, approach 1 (IsoFLOP profiles): N_opt = 0.0216 C^0.514, D_opt = 7.7 C^0.486. */
    public static final ComputeAllocation QUOKKA_DLM_ISOFLOP = new ComputeAllocation(0.0216, 0.514, 7.7, 0.486);

    /** The names of the published allocations ({@link #published}). */
    public static final List<String> PUBLISHED = List.of("quokka-dlm-isoflop", "quokka-dlm-compute", "chinchilla", "chinchilla-epoch");

    public ComputeAllocation {
        if (!(kN > 0) || !(kD > 0) || !(a > 0) || !(b > 0) || !Double.isFinite(kN * kD * a * b)) {
            throw new IllegalArgumentException(String.format("an allocation needs positive, finite k_N, a, k_D, b; not %g, %g, %g, %g", kN, a, kD, b));
        }
    }

    /**
     * Approach 2: the closed-form optimum of L = E + A / N^alpha + B / D^beta under C = 6 N D,
     * N_opt = G (C/6)^a and D_opt = (C/6)^b / G with G = (alpha A / (beta B))^(1 / (alpha + beta)),
     * a = beta / (alpha + beta), b = alpha / (alpha + beta).
     */
    public static ComputeAllocation of(ChinchillaLaw law) {
        double a = law.beta() / (law.alpha() + law.beta()), b = law.alpha() / (law.alpha() + law.beta());
        double g = Math.pow(law.alpha() * law.a() / (law.beta() * law.b()), 1 / (law.alpha() + law.beta()));
        return new ComputeAllocation(g * Math.pow(6, -a), a, Math.pow(6, -b) / g, b);
    }

    /** A published allocation by name: Quokka's approach 1, or approach 2 of a published Chinchilla-form law. */
    public static ComputeAllocation published(String name) {
        return switch (name) {
            case "quokka-dlm-isoflop" -> QUOKKA_DLM_ISOFLOP;
            case "quokka-dlm-compute", "chinchilla", "chinchilla-epoch" -> of((ChinchillaLaw) Law.published(name));
            default -> throw new IllegalArgumentException("no published allocation " + name + "; known: " + String.join(", ", PUBLISHED));
        };
    }

    public double nOpt(double c) {
        return kN * Math.pow(c, a);
    }

    public double dOpt(double c) {
        return kD * Math.pow(c, b);
    }

    /** The budget at which a model of {@code n} parameters is compute-optimal: C = (N / k_N)^(1/a). */
    public double budgetFor(double n) {
        return Math.pow(n / kN, 1 / a);
    }

    /** a, b, k_N, k_D by name, as fit.json and Table 1 give them. */
    public Map<String, Double> constants() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("a", a);
        m.put("b", b);
        m.put("k_N", kN);
        m.put("k_D", kD);
        return m;
    }
}
