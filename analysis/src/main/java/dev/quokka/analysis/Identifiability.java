package dev.quokka.analysis;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a fit's data pin down. For each free constant: its bootstrap interval, and the profile of the objective along
 * it: the constant is held a factor of two away on either side (or a quarter of its size, for a constant that may be
 * negative), the others are refitted, and the objective's rise is read. A constant whose profile stays flat is not
 * identified, however narrow its interval: resamples of curves that never turn up agree on a value without the data
 * choosing it. Verdicts:
 * <ul>
 *   <li>{@code unidentified}: the objective rises by less than 1% on one side of the profile (the data do not prefer
 *   the fitted value to one twice or half as large), or the interval spans more than a factor of 100;</li>
 *   <li>{@code loose}: the interval spans more than a factor of two;</li>
 *   <li>{@code pinned}: neither.</li>
 * </ul>
 */
public final class Identifiability {
    /** The relative rise of the objective below which a profile counts as flat. */
    public static final double FLAT = 0.01;

    /**
     * @param rise the objective's relative rise at the profile's low and high side (the smaller of the two decides)
     */
    public record Constant(String name, double value, Bootstrap.Interval interval, double spread, double riseLow, double riseHigh, String verdict) {}

    private Identifiability() {}

    /** The report for every free constant of {@code fit} (a {@link FixedForm} leaves its fixed ones out). */
    public static List<Constant> report(Fitter.Fit fit, FitData data, Map<String, Bootstrap.Interval> intervals) {
        Form form = fit.form();
        List<String> params = form.parameters();
        Map<String, Double> constants = fit.law().constants();
        List<Constant> out = new ArrayList<>();
        for (int k = 0; k < params.size(); k++) {
            String param = params.get(k);
            boolean positive = param.startsWith("log ");
            String name = positive ? param.substring(4) : param;
            double value = constants.get(name);
            double step = positive ? Math.log(2) : 0.25 * Math.max(Math.abs(fit.theta()[k]), 0.1);
            double low = rise(fit, data, k, -step), high = rise(fit, data, k, step);
            Bootstrap.Interval ci = intervals.get(name);
            double spread = ci == null ? Double.NaN : positive ? ci.high() / ci.low() : (ci.high() - ci.low()) / Math.max(Math.abs(value), 0.05);
            String verdict;
            if (Math.min(low, high) < FLAT || (positive ? spread > 100 : spread > 50)) verdict = "unidentified";
            else if (positive ? spread > 2 : spread > 1) verdict = "loose";
            else verdict = "pinned";
            out.add(new Constant(name, value, ci, spread, low, high, verdict));
        }
        return out;
    }

    /** The objective's relative rise with theta[k] moved by {@code delta} and held there, the rest refitted. */
    static double rise(Fitter.Fit fit, FitData data, int k, double delta) {
        Form form = fit.form();
        double[] theta = fit.theta();
        String param = form.parameters().get(k);
        String name = param.startsWith("log ") ? param.substring(4) : param;
        double moved = theta[k] + delta;
        double held = param.startsWith("log ") ? Math.exp(moved) : moved;
        // A positive constant fitted so small that it underflows to 0 (E of a law whose curves never flatten) cannot
        // be held anywhere else by a factor: the data say nothing about it, so its profile is flat.
        if (param.startsWith("log ") && !(held > 0)) return 0;
        Map<String, Double> hold = new LinkedHashMap<>();
        hold.put(name, held);
        Form base = form;
        if (form instanceof FixedForm f) {
            base = f.inner();
            hold.putAll(f.fixed());
        }
        double value;
        if (theta.length == 1) { // nothing else to refit: the objective at the moved value
            value = new HuberObjective(form, data, null, HuberObjective.DELTA).evaluate(new double[] {moved}, new double[1]);
        } else {
            FixedForm profile = new FixedForm(base, hold);
            double[] start = new double[theta.length - 1];
            for (int i = 0, j = 0; i < theta.length; i++) if (i != k) start[j++] = theta[i];
            value = Fitter.fit(profile, data, null, List.of(start)).objective();
        }
        return value / Math.max(fit.objective(), 1e-300) - 1;
    }
}
