package dev.quokka.analysis;

import java.util.ArrayList;
import java.util.List;

/**
 * Stage 2 of Muennighoff et al.'s fit: with the single-epoch law frozen, theta = (log R_D*, log R_N*) in
 * <pre>
 *   L = E + A / N'^alpha + B / D'^beta,   D' = U_D + U_D R_D* (1 - exp(-R_D / R_D*)),   N' likewise
 * </pre>
 * (see {@link MuennighoffLaw}). Stage 1 is a {@link ChinchillaForm} fit to the single-epoch points, or given constants.
 */
public final class MuennighoffForm implements Form {
    private final ChinchillaLaw onePass;

    public MuennighoffForm(ChinchillaLaw onePass) {
        this.onePass = onePass;
    }

    @Override
    public String name() {
        return "muennighoff";
    }

    @Override
    public List<String> parameters() {
        return List.of("log R_D*", "log R_N*");
    }

    @Override
    public List<double[]> grid() {
        double[] r = {Math.log(1), Math.log(5), Math.log(20), Math.log(100), Math.log(500), Math.log(2500)};
        return new ArrayList<>(Form.product(r, r));
    }

    @Override
    public double logLoss(double[] t, FitData x, int i, double[] g) {
        double rD = Math.exp(t[0]), rN = Math.exp(t[1]);
        double u = Math.exp(x.logU[i]), d = Math.exp(x.logD[i]), n = Math.exp(x.logN[i]);
        double uD = Math.min(d, u), repeats = d / uD - 1;
        double uN = Math.min(n, onePass.optimalParametersForOnePass(u)), excess = n / uN - 1;
        double[] dp = saturate(uD, repeats, rD), np = saturate(uN, excess, rN);
        double termN = onePass.a() / Math.pow(np[0], onePass.alpha()), termD = onePass.b() / Math.pow(dp[0], onePass.beta());
        double loss = onePass.e() + termN + termD;
        g[0] = -onePass.beta() * termD / dp[0] * dp[1] / loss;
        g[1] = -onePass.alpha() * termN / np[0] * np[1] / loss;
        return Math.log(loss);
    }

    /** {x', dx'/d log R*} for x' = base + base R* (1 - exp(-excess / R*)). */
    private static double[] saturate(double base, double excess, double r) {
        double decay = Math.exp(-excess / r);
        double value = base + base * r * (1 - decay);
        double dValueDr = base * ((1 - decay) - excess / r * decay);
        return new double[] {value, dValueDr * r};
    }

    @Override
    public MuennighoffLaw law(double[] t) {
        return new MuennighoffLaw(onePass, Math.exp(t[0]), Math.exp(t[1]));
    }
}
