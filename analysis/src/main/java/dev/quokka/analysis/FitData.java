package dev.quokka.analysis;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Fit points as columns of logarithms, computed once: the objective evaluates every point thousands of times.
 * {@code logR} is log(e - 1), or negative infinity for points within the first epoch.
 */
public final class FitData implements java.io.Serializable {
    final int size;
    final double[] logN, logU, logD, logE, logR, logLoss;
    /** The index of each point's run, 0 .. runs - 1, in order of first appearance. */
    final int[] run;
    final int runs;

    public FitData(List<FitPoint> points) {
        if (points.isEmpty()) throw new IllegalArgumentException("no points to fit");
        size = points.size();
        logN = new double[size];
        logU = new double[size];
        logD = new double[size];
        logE = new double[size];
        logR = new double[size];
        logLoss = new double[size];
        run = new int[size];
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < size; i++) {
            FitPoint p = points.get(i);
            logN[i] = Math.log(p.n());
            logU[i] = Math.log(p.u());
            logD[i] = Math.log(p.d());
            logE[i] = Math.log(p.epochs());
            logR[i] = p.epochs() > 1 ? Math.log(p.epochs() - 1) : Double.NEGATIVE_INFINITY;
            logLoss[i] = Math.log(p.loss());
            run[i] = ids.computeIfAbsent(p.run(), k -> ids.size());
        }
        runs = ids.size();
    }

    public int size() {
        return size;
    }

    public int runs() {
        return runs;
    }
}
