package dev.quokka.analysis;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * A form with some of its constants held at given values: the optimiser sees only the free ones. Where data cannot
 * identify a constant (curves that never turn up say nothing of where overfitting sets in), holding it at a value
 * from elsewhere (a published law, say) lets the data pin the others.
 *
 * <p>Constants are named as their laws name them (E, A, alpha, ..., gamma, c_p); the form's parameter for a positive
 * constant is its logarithm ("log gamma"), so a value given for gamma enters theta as its log.
 */
public final class FixedForm implements Form {
    private final Form inner;
    private final Map<String, Double> fixed;
    private final int[] freeIndex;
    private final double[] full;

    /** @param fixed constant name to value, in the law's own terms */
    public FixedForm(Form inner, Map<String, Double> fixed) {
        this.inner = inner;
        this.fixed = new LinkedHashMap<>(fixed);
        List<String> params = inner.parameters();
        this.full = new double[params.size()];
        List<Integer> free = new ArrayList<>();
        java.util.Set<Integer> held = new LinkedHashSet<>();
        for (var e : fixed.entrySet()) {
            int i = index(params, e.getKey());
            if (params.get(i).startsWith("log ")) {
                if (!(e.getValue() > 0)) throw new IllegalArgumentException(e.getKey() + " must be positive to be fixed, not " + e.getValue());
                full[i] = Math.log(e.getValue());
            } else {
                full[i] = e.getValue();
            }
            held.add(i);
        }
        for (int i = 0; i < params.size(); i++) if (!held.contains(i)) free.add(i);
        if (free.isEmpty()) throw new IllegalArgumentException("every constant of the " + inner.name() + " law is fixed: nothing is left to fit");
        this.freeIndex = free.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The form's parameter for a constant, by the constant's name: {@code gamma} is "log gamma", {@code p_e} "p_e". */
    static int index(List<String> params, String constant) {
        int i = params.indexOf(constant);
        if (i < 0) i = params.indexOf("log " + constant);
        if (i < 0) {
            List<String> names = params.stream().map(p -> p.startsWith("log ") ? p.substring(4) : p).toList();
            throw new IllegalArgumentException("the law has no constant '" + constant + "' (its constants: " + String.join(", ", names) + ")");
        }
        return i;
    }

    public Map<String, Double> fixed() {
        return fixed;
    }

    public Form inner() {
        return inner;
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public List<String> parameters() {
        List<String> all = inner.parameters();
        List<String> out = new ArrayList<>();
        for (int i : freeIndex) out.add(all.get(i));
        return out;
    }

    /** The inner grid's points, fixed components replaced, duplicates dropped. */
    @Override
    public List<double[]> grid() {
        Map<String, double[]> unique = new LinkedHashMap<>();
        for (double[] p : inner.grid()) {
            double[] free = new double[freeIndex.length];
            for (int k = 0; k < free.length; k++) free[k] = p[freeIndex[k]];
            unique.putIfAbsent(java.util.Arrays.toString(free), free);
        }
        return new ArrayList<>(unique.values());
    }

    /** The whole theta for a free one. */
    public double[] expand(double[] free) {
        double[] t = full.clone();
        for (int k = 0; k < freeIndex.length; k++) t[freeIndex[k]] = free[k];
        return t;
    }

    @Override
    public double logLoss(double[] theta, FitData data, int i, double[] gradient) {
        double[] g = new double[full.length];
        double v = inner.logLoss(expand(theta), data, i, g);
        for (int k = 0; k < freeIndex.length; k++) gradient[k] = g[freeIndex[k]];
        return v;
    }

    @Override
    public Law law(double[] theta) {
        return inner.law(expand(theta));
    }
}
