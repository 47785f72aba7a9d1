package dev.quokka.analysis;

import java.util.ArrayList;
import java.util.List;

/** The planner's answers as tables, laid out like the paper's. */
public final class PlanTables {
    private PlanTables() {}

    /** e_opt(N, U), rows N, columns U (Quokka Table 3). */
    public static Table optimalEpochs(QuokkaLaw law, double[] ns, double[] us) {
        List<String> header = new ArrayList<>(List.of("N \\ U"));
        for (double u : us) header.add(Quantities.format(u));
        Table t = new Table("Optimal epochs e_opt(N, U)", header);
        for (double n : ns) {
            List<String> row = new ArrayList<>(List.of(Quantities.format(n)));
            for (double u : us) row.add(epochs(law.optimalEpochs(n, u)));
            t.row(row);
        }
        return t;
    }

    /** The joint optimum (N, e) at each U, with its FLOPs and loss (Quokka Table 4). */
    public static Table jointOptima(QuokkaLaw law, double[] us) {
        Table t = new Table("Joint optimum over (N, e) at a fixed unique budget U", List.of("U", "N_opt", "e_opt", "D", "FLOPs", "loss"));
        int unplanned = 0, edge = 0;
        for (double u : us) {
            Planner.Optimum o = Planner.jointOptimum(law, u);
            if (!Double.isFinite(o.loss())) unplanned++;
            if (o.atSearchEdge()) edge++;
            t.row(List.of(Quantities.format(u), Quantities.format(o.n()), epochs(o.epochs()),
                    String.format("%.3g", o.d()), String.format("%.3g", o.flops()), loss(o.loss())));
        }
        return unplannable(atEdge(t, edge), unplanned);
    }

    /** The compute-optimal N and D for each budget, drawing on U unique tokens (infinite: no repetition). */
    public static Table computeOptimal(Law law, double[] budgets, double u) {
        String where = Double.isInfinite(u) ? "unlimited data" : "U = " + Quantities.format(u);
        Table t = new Table("Compute-optimal allocation (" + where + ")", List.of("FLOPs", "N_opt", "D_opt", "epochs", "loss"));
        int unplanned = 0, edge = 0;
        for (double c : budgets) {
            Planner.Optimum o = Planner.computeOptimal(law, c, u);
            if (!Double.isFinite(o.loss())) unplanned++;
            if (o.atSearchEdge()) edge++;
            t.row(List.of(String.format("%.3g", c), Quantities.format(o.n()), String.format("%.3g", o.d()),
                    Double.isInfinite(u) ? "-" : String.format("%.3g", o.epochs()), loss(o.loss())));
        }
        return unplannable(atEdge(t, edge), unplanned);
    }

    /**
     * The compute-optimal budget and tokens for each model size, in the layout of Quokka's Tables 2 and 5: C is the
     * budget at which N is optimal, C = (N / k_N)^(1/a), and D = k_D C^b.
     */
    public static Table allocationBySize(ComputeAllocation a, double[] ns) {
        Table t = new Table("Compute-optimal budget and tokens by model size", List.of("N", "FLOPs", "tokens", "tokens per parameter"));
        for (double n : ns) {
            double c = a.budgetFor(n), d = a.dOpt(c);
            t.row(List.of(Quantities.format(n), String.format("%.3g", c), Quantities.format(d), String.format("%.1f", d / n)));
        }
        return t;
    }

    /** The allocation's constants in the layout of Quokka's Table 1: N_opt = k_N C^a, D_opt = k_D C^b. */
    public static Table allocationConstants(String name, ComputeAllocation a) {
        Table t = new Table("Compute-optimal allocation N_opt = k_N C^a, D_opt = k_D C^b", List.of("law", "a", "b", "k_N", "k_D"));
        t.row(List.of(name, String.format("%.4f", a.a()), String.format("%.4f", a.b()), String.format("%.4g", a.kN()), String.format("%.4g", a.kD())));
        return t;
    }

    /**
     * Two allocations side by side at each budget, and how much more data the first wants than the second: Quokka's
     * "DLMs are 2-5x more data-hungry than AR at equal compute", with a DLM fit first and an AR fit second.
     */
    public static Table dataRatio(String firstName, ComputeAllocation first, String secondName, ComputeAllocation second, double[] budgets) {
        Table t = new Table("Compute-optimal data: " + firstName + " over " + secondName,
                List.of("FLOPs", "N_opt " + firstName, "D_opt " + firstName, "N_opt " + secondName, "D_opt " + secondName, "D_opt ratio"));
        for (double c : budgets) {
            t.row(List.of(String.format("%.3g", c), Quantities.format(first.nOpt(c)), Quantities.format(first.dOpt(c)),
                    Quantities.format(second.nOpt(c)), Quantities.format(second.dOpt(c)), String.format("%.2f", first.dOpt(c) / second.dOpt(c))));
        }
        return t;
    }

    private static String epochs(double e) {
        return Double.isFinite(e) ? String.valueOf(Math.round(e)) : "not finite";
    }

    private static String loss(double l) {
        return Double.isFinite(l) ? String.format("%.4f", l) : "not finite";
    }

    /** Says so under the table when N_opt is an end of the search rather than an optimum. */
    private static Table atEdge(Table t, int rows) {
        if (rows > 0) {
            t.note("In " + rows + " of these rows N_opt is an end of the search (" + Quantities.format(Math.pow(10, Planner.MIN_LOG10_N)) + " or "
                    + Quantities.format(Math.pow(10, Planner.MAX_LOG10_N)) + " parameters): the law has no optimum in that range there, so they are not a plan.");
        }
        return t;
    }

    /** Says so under the table when the law gives no finite loss for some of its rows. */
    private static Table unplannable(Table t, int rows) {
        if (rows > 0) t.note("The law predicts no finite loss for " + rows + " of these rows: it cannot be planned with there.");
        return t;
    }

    /** C_crit(U) between two laws: the compute above which the first predicts the lower loss, or below which it does. */
    public static Table criticalCompute(String firstName, Law first, String secondName, Law second, double[] us) {
        Table t = new Table("Critical compute: " + firstName + " vs " + secondName, List.of("U", "C_crit (FLOPs)", "better above C_crit"));
        for (double u : us) {
            double c = Planner.criticalCompute(first, second, u);
            String above = "-";
            if (!Double.isNaN(c)) {
                double beyond = 10 * c;
                above = Planner.computeOptimal(first, beyond, u).loss() < Planner.computeOptimal(second, beyond, u).loss() ? firstName : secondName;
            }
            t.row(List.of(Quantities.format(u), Double.isNaN(c) ? "no crossing" : String.format("%.3g", c), above));
        }
        return t;
    }
}
