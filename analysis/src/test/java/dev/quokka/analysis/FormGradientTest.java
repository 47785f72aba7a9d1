package dev.quokka.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every form's analytic gradient of log L_pred against central finite differences, at points on both sides of each
 * kink the forms have: within and past the first epoch (Quokka's penalty starts at e = 1), N below and above U_N and D
 * below and above U (Muennighoff's saturations), and with each of the logsumexp's three terms dominating. And theta
 * follows the law's own order: the law a form makes from theta gives theta back.
 */
class FormGradientTest {
    private static final double H = 1e-6;

    private static FitData points() {
        double[] ns = {3e5, 2e7, 4e8}, us = {1e5, 3e7}, epochs = {0.5, 1, 1.7, 12, 300};
        List<FitPoint> points = new ArrayList<>();
        for (double n : ns) for (double u : us) for (double e : epochs) points.add(new FitPoint("r" + points.size(), "dlm", n, u, u * e, 3.0));
        return new FitData(points);
    }

    /** theta values at which to check: the published law's, and two far from it, where other terms dominate. */
    private static void check(Form form, List<double[]> thetas) {
        FitData data = points();
        for (double[] theta : thetas) {
            double[] g = new double[theta.length], ignored = new double[theta.length];
            for (int i = 0; i < data.size(); i++) {
                form.logLoss(theta, data, i, g);
                for (int k = 0; k < theta.length; k++) {
                    double[] up = theta.clone(), down = theta.clone();
                    up[k] += H;
                    down[k] -= H;
                    double numeric = (form.logLoss(up, data, i, ignored) - form.logLoss(down, data, i, ignored)) / (2 * H);
                    assertEquals(numeric, g[k], 1e-6 * Math.max(1, Math.abs(numeric)),
                            form.name() + " d log L / d " + form.parameters().get(k) + " at point " + i + ", theta " + java.util.Arrays.toString(theta));
                }
            }
        }
    }

    @Test
    void chinchilla() {
        ChinchillaForm form = new ChinchillaForm();
        check(form, List.of(ChinchillaForm.theta(ChinchillaLaw.EPOCH_AI), ChinchillaForm.theta(new ChinchillaLaw(3.0, 10, 0.3, 1e4, 0.5)),
                ChinchillaForm.theta(new ChinchillaLaw(1e-3, 1e6, 0.8, 50, 0.2))));
    }

    @Test
    void quokka() {
        QuokkaForm form = new QuokkaForm();
        QuokkaLaw paper = new QuokkaLaw(0.5, 1535.23, 0.42, 54.21, 0.13, 1.49, 0.3955, 254.35, 0.39, 0.55);
        check(form, List.of(QuokkaForm.theta(paper), QuokkaForm.theta(new QuokkaLaw(2.0, 50, 0.3, 1e3, 0.4, 0.8, 1.3, 3, 0.2, 0.3)),
                QuokkaForm.theta(new QuokkaLaw(1e-3, 1e5, 0.6, 20, 0.1, 1.2, 0.25, 1e-3, 0.7, -0.2))));
    }

    @Test
    void muennighoff() {
        MuennighoffForm form = new MuennighoffForm(MuennighoffLaw.AR.onePass());
        check(form, List.of(new double[] {Math.log(15.387756), Math.log(5.309743)}, new double[] {Math.log(0.7), Math.log(300)}));
    }

    @Test
    void withConstantsHeld() {
        FixedForm form = new FixedForm(new QuokkaForm(), Map.of("gamma", 0.3955, "k_p", 0.55, "E", 0.5));
        double[] full = QuokkaForm.theta(new QuokkaLaw(0.5, 1535.23, 0.42, 54.21, 0.13, 1.49, 0.3955, 254.35, 0.39, 0.55));
        double[] free = new double[form.parameters().size()];
        for (int k = 0, j = 0; k < full.length; k++) if (!List.of(0, 6, 9).contains(k)) free[j++] = full[k];
        assertEquals(List.of("log A", "alpha", "log B", "beta", "p_e", "log c_p", "m_p"), form.parameters());
        check(form, List.of(free));
    }

    @Test
    void thetaFollowsTheLawsOrder() {
        QuokkaLaw q = new QuokkaLaw(0.5, 1535.23, 0.42, 54.21, 0.13, 1.49, 0.3955, 254.35, 0.39, 0.55);
        assertTrue(same(new QuokkaForm().law(QuokkaForm.theta(q)).constants(), q.constants()));
        List<String> names = new ArrayList<>(q.constants().keySet());
        List<String> params = new QuokkaForm().parameters();
        for (int k = 0; k < names.size(); k++) assertEquals(names.get(k), params.get(k).replace("log ", ""), "component " + k);
        List<String> cNames = new ArrayList<>(ChinchillaLaw.EPOCH_AI.constants().keySet()), cParams = new ChinchillaForm().parameters();
        for (int k = 0; k < cNames.size(); k++) assertEquals(cNames.get(k), cParams.get(k).replace("log ", ""), "component " + k);
        ChinchillaLaw c = ChinchillaLaw.EPOCH_AI;
        assertTrue(same(new ChinchillaForm().law(ChinchillaForm.theta(c)).constants(), c.constants()));
    }

    private static boolean same(Map<String, Double> a, Map<String, Double> b) {
        if (!a.keySet().equals(b.keySet())) return false;
        for (String k : a.keySet()) if (Math.abs(a.get(k) - b.get(k)) > 1e-12 * Math.max(1, Math.abs(b.get(k)))) return false;
        return true;
    }
}
