package dev.quokka.training.nd4j;

import dev.quokka.training.Batch;
import dev.quokka.training.OpTimes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Where a training step's time goes, by op: a listener on the engine's gradient graph times each op from just before
 * its execution to just after, so an op's time is its native kernel plus ND4J's per-op set-up (output shapes, buffers).
 * The rest of a step (SameDiff's scheduling of the graph, and the AdamW update outside it) is the step's time minus
 * the ops'. The listener itself costs a little per op, so the step is also timed without it.
 */
public final class OpProfile {
    private OpProfile() {}

    /** Profiles {@code steps} steps of {@code engine} on {@code batches} (in turn), after {@code warmup} untimed ones. */
    public static OpTimes of(SameDiffEngine engine, Batch[] batches, int warmup, int steps) {
        for (int i = 0; i < warmup; i++) engine.step(batches[i % batches.length], 1e-4);
        long t0 = System.nanoTime();
        for (int i = 0; i < steps; i++) engine.step(batches[i % batches.length], 1e-4);
        double stepMs = (System.nanoTime() - t0) / 1e6 / steps;

        Map<String, long[]> byOp = new TreeMap<>(); // nanoseconds, calls
        SameDiff grad = engine.gradientGraph();
        grad.setListeners(new BaseListener() {
            private long started;

            @Override
            public boolean isActive(Operation operation) {
                return true;
            }

            @Override
            public void preOpExecution(SameDiff sd, At at, SameDiffOp op, OpContext context) {
                started = System.nanoTime();
            }

            @Override
            public void opExecution(SameDiff sd, At at, MultiDataSet batch, SameDiffOp op, OpContext context, INDArray[] outputs) {
                long[] t = byOp.computeIfAbsent(op.getOp().opName(), k -> new long[2]);
                t[0] += System.nanoTime() - started;
                t[1]++;
            }
        });
        try {
            for (int i = 0; i < Math.max(1, warmup / 4); i++) engine.step(batches[i % batches.length], 1e-4);
            byOp.clear();
            for (int i = 0; i < steps; i++) engine.step(batches[i % batches.length], 1e-4);
        } finally {
            grad.setListeners();
        }
        List<OpTimes.Op> ops = new ArrayList<>();
        byOp.forEach((name, t) -> ops.add(new OpTimes.Op(name, t[0] / 1e6 / steps, (double) t[1] / steps)));
        ops.sort(Comparator.comparingDouble(OpTimes.Op::msPerStep).reversed());
        return new OpTimes(stepMs, ops.stream().mapToDouble(OpTimes.Op::msPerStep).sum(), ops);
    }
}
