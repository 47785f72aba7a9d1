package dev.quokka.analysis;

import java.util.function.DoubleUnaryOperator;

/** The decisions a fitted law supports: how many epochs, how large a model, and when DLMs overtake AR. */
public final class Planner {
    /** log10 N searched for optimal model sizes: 1M to 100T parameters. */
    static final double MIN_LOG10_N = 6, MAX_LOG10_N = 14;

    private Planner() {}

    /** An optimum: N, epochs, D = U e (or the budget's D) and its FLOPs 6 N D, and the loss there. */
    public record Optimum(double n, double epochs, double d, double flops, double loss) {
        /** N_opt at an end of the search (1M or 100T parameters): the law has no optimum in that range. */
        public boolean atSearchEdge() {
            double x = Math.log10(n);
            return x <= MIN_LOG10_N + 0.01 || x >= MAX_LOG10_N - 0.01;
        }
    }

    /** Minimise the loss over (N, e) at a fixed unique budget U (Quokka Table 4). */
    public static Optimum jointOptimum(QuokkaLaw law, double u) {
        double log10N = argmin(x -> {
            double n = Math.pow(10, x);
            return law.loss(n, u, u * law.bestEpochs(n, u));
        }, MIN_LOG10_N, MAX_LOG10_N);
        double n = Math.pow(10, log10N), e = law.bestEpochs(n, u);
        return new Optimum(n, e, u * e, 6 * n * u * e, law.loss(n, u, u * e));
    }

    /**
     * The best model size for a budget C = 6 N D with U unique tokens to draw from; with U infinite, every token is
     * fresh (one pass over U = D). Chinchilla ignores U.
     */
    public static Optimum computeOptimal(Law law, double c, double u) {
        DoubleUnaryOperator loss = x -> {
            double n = Math.pow(10, x), d = c / (6 * n);
            return law.loss(n, Math.min(u, d), d);
        };
        double n = Math.pow(10, argmin(loss, MIN_LOG10_N, MAX_LOG10_N)), d = c / (6 * n);
        return new Optimum(n, d / Math.min(u, d), d, c, law.loss(n, Math.min(u, d), d));
    }

    /**
     * C_crit(U): the compute at which two laws, each at its own optimal allocation, predict the same loss
     * (Prabhudesai et al.: below it AR wins, above it the DLM). NaN when they do not cross between 1e15 and 1e35 FLOPs.
     */
    public static double criticalCompute(Law first, Law second, double u) {
        DoubleUnaryOperator gap = log10C -> computeOptimal(first, Math.pow(10, log10C), u).loss()
                - computeOptimal(second, Math.pow(10, log10C), u).loss();
        double lo = 15, glo = gap.applyAsDouble(lo);
        for (double hi = lo + 0.25; hi <= 35; lo = hi, hi += 0.25) {
            double ghi = gap.applyAsDouble(hi);
            if (Math.signum(ghi) != Math.signum(glo)) {
                for (int i = 0; i < 60; i++) {
                    double mid = (lo + hi) / 2, gm = gap.applyAsDouble(mid);
                    if (Math.signum(gm) == Math.signum(glo)) {
                        lo = mid;
                        glo = gm;
                    } else {
                        hi = mid;
                    }
                }
                return Math.pow(10, (lo + hi) / 2);
            }
            glo = ghi;
        }
        return Double.NaN;
    }

    /**
     * The minimum of f on [lo, hi]: a scan on a grid of 400 (the loss surfaces are flat and need not be unimodal),
     * then golden-section search between the best point's neighbours.
     */
    static double argmin(DoubleUnaryOperator f, double lo, double hi) {
        int grid = 400;
        double step = (hi - lo) / grid, best = lo, bestValue = Double.POSITIVE_INFINITY;
        for (int i = 0; i <= grid; i++) {
            double x = lo + i * step, v = f.applyAsDouble(x);
            if (v < bestValue) {
                bestValue = v;
                best = x;
            }
        }
        double a = Math.max(lo, best - step), b = Math.min(hi, best + step);
        double phi = (Math.sqrt(5) - 1) / 2, c = b - phi * (b - a), d = a + phi * (b - a);
        double fc = f.applyAsDouble(c), fd = f.applyAsDouble(d);
        while (b - a > 1e-10) {
            if (fc < fd) {
                b = d;
                d = c;
                fd = fc;
                c = b - phi * (b - a);
                fc = f.applyAsDouble(c);
            } else {
                a = c;
                c = d;
                fc = fd;
                d = a + phi * (b - a);
                fd = f.applyAsDouble(d);
            }
        }
        return (a + b) / 2;
    }
}
