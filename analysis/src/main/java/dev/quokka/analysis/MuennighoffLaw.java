package dev.quokka.analysis;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Muennighoff et al.'s data-constrained law: the Chinchilla form in effective data and parameters,
 * <pre>
 *   D' = U_D + U_D R_D* (1 - exp(-R_D / R_D*)),   U_D = min(D, U),  R_D = D / U_D - 1
 *   N' = U_N + U_N R_N* (1 - exp(-R_N / R_N*)),   U_N = min(N, N_opt for one pass over U),  R_N = N / U_N - 1
 * </pre>
 * Repeated tokens and excess parameters are worth less and less, but never hurt: the law is monotone in e.
 *
 * @param onePass the single-epoch law (stage 1) that gives E, A, alpha, B, beta and the N_opt of U_N
 */
public record MuennighoffLaw(ChinchillaLaw onePass, double rD, double rN) implements Law {
    /** Muennighoff et al.'s AR fit on C4 (GPT-2 tokenizer). */
    public static final MuennighoffLaw AR = new MuennighoffLaw(new ChinchillaLaw(1.8691, 520.82, 0.3527, 1487.7, 0.3527), 15.387756, 5.309743);

    @Override
    public double loss(double n, double u, double d) {
        return onePass.loss(effectiveParameters(n, u), u, effectiveData(u, d));
    }

    public double effectiveData(double u, double d) {
        double unique = Math.min(d, u);
        return unique + unique * rD * -Math.expm1(-(d / unique - 1) / rD);
    }

    public double effectiveParameters(double n, double u) {
        double unique = Math.min(n, onePass.optimalParametersForOnePass(u));
        return unique + unique * rN * -Math.expm1(-(n / unique - 1) / rN);
    }

    @Override
    public String form() {
        return "muennighoff";
    }

    @Override
    public Map<String, Double> constants() {
        Map<String, Double> m = new LinkedHashMap<>(onePass.constants());
        m.put("R_D*", rD);
        m.put("R_N*", rN);
        return m;
    }
}
