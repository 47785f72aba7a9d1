package dev.quokka.analysis;

import java.util.List;

/**
 * Muennighoff et al.'s fit in two stages: (1) the Chinchilla form on the single-epoch points (e <= 1), or constants
 * given by the user; (2) R_D* and R_N* on all points with stage 1 frozen ({@link MuennighoffForm}). As in the paper,
 * the single-epoch points must come from models no larger than compute-optimal for their U: beyond that the law's
 * excess-parameter term applies even at one epoch, and stage 1 would absorb it.
 */
public final class TwoStage {
    /** Both stages' fits; {@code onePass} is null when stage 1 was given. */
    public record Fit(Fitter.Fit onePass, Fitter.Fit repetition) implements java.io.Serializable {
        public MuennighoffLaw law() {
            return (MuennighoffLaw) repetition.law();
        }
    }

    private TwoStage() {}

    public static Fit fit(FitData data, ChinchillaLaw given) {
        Fitter.Fit one = null;
        ChinchillaLaw stage1 = given;
        if (given == null) {
            double[] single = singleEpoch(data, null);
            one = Fitter.fit(new ChinchillaForm(), data, single, Fitter.screen(new ChinchillaForm(), data, single, new ChinchillaForm().grid(), Fitter.STARTS));
            stage1 = (ChinchillaLaw) one.law();
        }
        MuennighoffForm form = new MuennighoffForm(stage1);
        return new Fit(one, Fitter.fit(form, data, null, form.grid()));
    }

    /** A bootstrap refit under point weights, from the best fit's parameters. */
    public static MuennighoffLaw refit(Fit best, FitData data, double[] weights) {
        ChinchillaLaw stage1 = best.onePass() == null ? best.law().onePass()
                : (ChinchillaLaw) Fitter.fit(new ChinchillaForm(), data, singleEpoch(data, weights), List.of(best.onePass().theta())).law();
        return (MuennighoffLaw) Fitter.fit(new MuennighoffForm(stage1), data, weights, List.of(best.repetition().theta())).law();
    }

    /** Weights that keep only the points within one epoch; an error if there are too few for stage 1. */
    static double[] singleEpoch(FitData data, double[] weights) {
        double[] w = new double[data.size];
        int count = 0;
        for (int i = 0; i < data.size; i++) {
            if (data.logE[i] <= 1e-12) {
                w[i] = weights == null ? 1 : weights[i];
                if (w[i] > 0) count++;
            }
        }
        if (count < 5) {
            throw new IllegalArgumentException(count + " single-epoch points (e <= 1): too few for stage 1 of the Muennighoff fit; give its constants instead");
        }
        return w;
    }
}
