package dev.quokka.training.nd4j;

import dev.quokka.training.AdamW;
import dev.quokka.training.Batch;
import dev.quokka.training.Engine;
import dev.quokka.training.ModelShape;
import dev.quokka.training.RunBatch;
import dev.quokka.training.Trainer;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Phaser;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * K runs, each trained by its own unchanged {@link Trainer} on its own thread, sharing one {@link BatchedEngine}. The
 * runs meet twice:
 * <ul>
 *   <li>at creation: each slot's {@link #slot factory} waits until every slot has asked for its engine (or left),
 *       then one engine is built for the runs that asked, which must share a shape and batch size;</li>
 *   <li>at every step: a run's {@link Engine#step} waits until every run still training has handed in its batch; the
 *       last to arrive takes the one batched step for all ({@link Phaser#onAdvance}), and each goes on with its own
 *       result. A run that ends, stops or fails {@link #leave}s, and the others go on without it.</li>
 * </ul>
 * Evaluations and checkpoints happen between steps, each run on its own thread, while the others wait at the next
 * step: nothing changes the parameters then.
 */
public final class BatchedRuns implements RunBatch {
    private record Request(ModelShape shape, int rows, int length, boolean causal, AdamW adamW, long seed) {}

    private final int slots;
    private final DataType dtype;
    private final Request[] requests;
    private final boolean[] left;
    private final int[] index; // slot -> the engine's run index, -1 for a slot that left before the engine was built
    private BatchedEngine engine;
    private RuntimeException buildFailure;

    private Batch[] pending; // by the engine's run index, set when the engine is built
    private double[] pendingLr;
    private List<Engine.Step> results;
    private RuntimeException stepFailure;
    // The batched step always runs on this one thread, not on whichever run arrives last: SameDiff keeps a session,
    // and with it a pool of reused arrays (RecyclingMemory), per thread, so K threads would hold K pools.
    private final ExecutorService stepper = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "batched-step");
        t.setDaemon(true);
        return t;
    });
    private final Phaser lockstep = new Phaser() {
        @Override
        protected boolean onAdvance(int phase, int parties) {
            if (!Arrays.stream(pending).allMatch(java.util.Objects::isNull)) {
                try {
                    results = stepper.submit(() -> engine.step(Arrays.asList(pending), pendingLr)).get();
                } catch (ExecutionException e) {
                    stepFailure = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    stepFailure = new IllegalStateException("interrupted during the batched step", e);
                }
                Arrays.fill(pending, null);
            }
            return false; // never terminate: a slot may still deregister after the last step
        }
    };

    public BatchedRuns(int slots, DataType dtype) {
        if (slots < 1) throw new IllegalArgumentException("a batch needs at least one run, not " + slots);
        this.slots = slots;
        this.dtype = dtype;
        this.requests = new Request[slots];
        this.left = new boolean[slots];
        this.index = new int[slots];
    }

    /** The float32 batch of {@code slots} runs. */
    public static BatchedRuns create(int slots) {
        return new BatchedRuns(slots, DataType.FLOAT);
    }

    /** The engine factory of the run in slot {@code r}: its one call waits for the other slots. */
    @Override
    public Trainer.EngineFactory slot(int r) {
        return (shape, rows, length, causal, adamW, seed) -> engineFor(r, new Request(shape, rows, length, causal, adamW, seed));
    }

    private synchronized Engine engineFor(int r, Request request) {
        if (requests[r] != null || left[r]) throw new IllegalStateException("slot " + r + " already has its engine, or left");
        requests[r] = request;
        if (accountedFor() == slots) build();
        while (engine == null && buildFailure == null) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the other runs of the batch", e);
            }
        }
        if (buildFailure != null) throw buildFailure;
        return new Lockstep(r, engine.member(index[r]));
    }

    private int accountedFor() {
        int n = 0;
        for (int r = 0; r < slots; r++) if (requests[r] != null || left[r]) n++;
        return n;
    }

    /** The engine of the runs that asked, in slot order; every run must share the first one's shape and batch. */
    private void build() {
        try {
            List<Integer> present = new ArrayList<>();
            for (int r = 0; r < slots; r++) {
                index[r] = -1;
                if (requests[r] != null) present.add(r);
            }
            Request first = requests[present.get(0)];
            boolean[] causal = new boolean[present.size()];
            List<AdamW> adamW = new ArrayList<>();
            List<Long> seeds = new ArrayList<>();
            for (int i = 0; i < present.size(); i++) {
                Request q = requests[present.get(i)];
                if (!q.shape().equals(first.shape()) || q.rows() != first.rows() || q.length() != first.length()) {
                    throw new IllegalArgumentException("the runs of a batch share a shape and batch: slot " + present.get(i) + " asks for "
                            + q.shape() + " [" + q.rows() + ", " + q.length() + "], slot " + present.get(0) + " for " + first.shape()
                            + " [" + first.rows() + ", " + first.length() + "]");
                }
                index[present.get(i)] = i;
                causal[i] = q.causal();
                adamW.add(q.adamW());
                seeds.add(q.seed());
            }
            pending = new Batch[present.size()];
            pendingLr = new double[present.size()];
            engine = new BatchedEngine(first.shape(), first.rows(), first.length(), causal, adamW, seeds, dtype);
            // Every run is a party before any of them steps: the first back from here waits for all at its first step.
            lockstep.bulkRegister(present.size());
        } catch (RuntimeException e) {
            buildFailure = e;
        }
        notifyAll();
    }

    /**
     * Slot {@code r}'s run is done (complete, stopped, diverged or failed): the others no longer wait for it. Safe to
     * call more than once, and for a slot that never asked for its engine.
     */
    @Override
    public void leave(int r) {
        synchronized (this) {
            if (left[r]) return;
            left[r] = true;
            boolean all = true;
            for (boolean l : left) all &= l;
            if (all) stepper.shutdown(); // the thread ends once no step is running
            if (requests[r] == null) {
                if (engine == null && buildFailure == null && accountedFor() == slots && Arrays.stream(requests).anyMatch(java.util.Objects::nonNull)) build();
                else if (accountedFor() == slots) notifyAll();
                return;
            }
        }
        lockstep.arriveAndDeregister();
    }

    /** A member whose steps meet the others' at the lockstep. */
    private final class Lockstep implements Engine {
        private final int slot;
        private final Engine member;

        Lockstep(int slot, Engine member) {
            this.slot = slot;
            this.member = member;
        }

        @Override
        public Step step(Batch batch, double lr) {
            int i = index[slot];
            pending[i] = batch;
            pendingLr[i] = lr;
            lockstep.arriveAndAwaitAdvance();
            if (stepFailure != null) throw new IllegalStateException("the batched step failed: " + stepFailure.getMessage(), stepFailure);
            return results.get(i);
        }

        @Override public ModelShape shape() { return member.shape(); }
        @Override public int rows() { return member.rows(); }
        @Override public int length() { return member.length(); }
        @Override public double lossSum(Batch batch) { return member.lossSum(batch); }
        @Override public double[] rowLossSums(Batch batch) { return member.rowLossSums(batch); }
        @Override public float[] logits(int[] inputs) { return member.logits(inputs); }
        @Override public long updates() { return member.updates(); }
        @Override public Map<String, Object> describe() { return member.describe(); }
        @Override public void save(DataOutputStream out) throws IOException { member.save(out); }
        @Override public void load(DataInputStream in) throws IOException { member.load(in); }
    }
}
