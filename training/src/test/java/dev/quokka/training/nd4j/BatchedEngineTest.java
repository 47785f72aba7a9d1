package dev.quokka.training.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quokka.training.AdamW;
import dev.quokka.training.Batch;
import dev.quokka.training.Engine;
import dev.quokka.training.MaskSchedule;
import dev.quokka.training.ModelShape;
import dev.quokka.training.Objective;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class BatchedEngineTest {
    static final ModelShape SHAPE = new ModelShape(11, 8, 2, 2, 12, false);
    static final int B = 3, T = 5;
    static final Objective AR = new Objective.Autoregressive();
    static final Objective DLM = new Objective.MaskedDiffusion(10, MaskSchedule.LINEAR, Objective.Weighting.ELBO, 1e-3, null, 0);
    static final AdamW CLIPPING = new AdamW(0.9, 0.95, 1e-8, 0.1, 1.0); // bites on some steps and runs (norms 0.8-3), not all

    static Batch batch(Objective objective, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[][] windows = new int[B][T + 1];
        for (int[] w : windows) for (int i = 0; i <= T; i++) w[i] = rng.nextInt(9);
        return objective.train(windows, rng, 0.5);
    }

    /** Runs 0..K-1 of objectives {@code objectives}, each on its own data (seeded by {@code data[r]}) at its own lr. */
    private static List<List<Engine.Step>> trainBatched(BatchedEngine e, List<Objective> objectives, long[] data, int steps) {
        List<List<Engine.Step>> out = new ArrayList<>();
        for (int s = 0; s < steps; s++) {
            List<Batch> batches = new ArrayList<>();
            double[] lrs = new double[objectives.size()];
            for (int r = 0; r < objectives.size(); r++) {
                batches.add(batch(objectives.get(r), data[r] * 100 + s));
                lrs[r] = 1e-2 * (r + 1);
            }
            out.add(e.step(batches, lrs));
        }
        return out;
    }

    /** In double precision, each run of a batch follows its own SameDiffEngine step for step, losses, norms and all. */
    @Test
    void eachRunIsItsOwnSingleRunWithinRounding() throws IOException {
        List<Objective> objectives = List.of(AR, DLM, AR);
        List<Long> seeds = List.of(1L, 2L, 3L);
        long[] data = {11, 12, 13};
        BatchedEngine batched = new BatchedEngine(SHAPE, B, T, new boolean[] {true, false, true}, List.of(CLIPPING, CLIPPING, CLIPPING), seeds, DataType.DOUBLE);
        List<List<Engine.Step>> steps = trainBatched(batched, objectives, data, 4);
        int clipped = 0;
        for (int r = 0; r < 3; r++) {
            SameDiffEngine alone = new SameDiffEngine(SHAPE, B, T, objectives.get(r).causal(), CLIPPING, seeds.get(r), DataType.DOUBLE);
            for (int s = 0; s < 4; s++) {
                Engine.Step own = alone.step(batch(objectives.get(r), data[r] * 100 + s), 1e-2 * (r + 1));
                Engine.Step got = steps.get(s).get(r);
                assertEquals(own.loss(), got.loss(), 1e-10 * own.loss(), "run " + r + " step " + s);
                assertEquals(own.gradNorm(), got.gradNorm(), 1e-9 * own.gradNorm(), "run " + r + " step " + s);
                assertEquals(own.clipped(), got.clipped(), "run " + r + " step " + s);
                if (got.clipped()) clipped++;
            }
            Batch val = batch(objectives.get(r), 999);
            assertEquals(alone.lossSum(val), batched.member(r).lossSum(val), 1e-9 * alone.lossSum(val), "run " + r + "'s evaluation");
            assertEquals(4, batched.member(r).updates());
            double[] a = doubles(state(alone)), b = doubles(state(batched.member(r)));
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-9 * Math.max(1, Math.abs(a[i])), "run " + r + "'s state at " + i);
        }
        assertTrue(clipped > 0 && clipped < 12, "clipping bit on " + clipped + " of 12 steps: per run, not for the batch");
    }

    /** In float, a run's state does not depend on its companions, bit for bit: other runs, other data, another count. */
    @Test
    void aRunDoesNotDependOnItsCompanions() throws IOException {
        BatchedEngine one = new BatchedEngine(SHAPE, B, T, new boolean[] {false, true, false}, List.of(CLIPPING, AdamW.papers(), CLIPPING), List.of(7L, 1L, 2L), DataType.FLOAT);
        trainBatched(one, List.of(DLM, AR, DLM), new long[] {5, 6, 7}, 3);
        BatchedEngine other = new BatchedEngine(SHAPE, B, T, new boolean[] {false, false, true, true}, List.of(CLIPPING, CLIPPING, CLIPPING, AdamW.papers()), List.of(7L, 3L, 4L, 5L), DataType.FLOAT);
        trainBatched(other, List.of(DLM, DLM, AR, AR), new long[] {5, 8, 9, 10}, 3);
        assertArrayEquals(state(one.member(0)), state(other.member(0)));
    }

    /** A shorter batch (variable length) in one slot trains as the single engine trains it; the full slot is unchanged. */
    @Test
    void aShorterBatchInOneSlotIsItsOwn() {
        AdamW opt = AdamW.papers();
        BatchedEngine batched = new BatchedEngine(SHAPE, B, T, new boolean[] {true, false}, List.of(opt, opt), List.of(1L, 2L), DataType.DOUBLE);
        SameDiffEngine full = new SameDiffEngine(SHAPE, B, T, true, opt, 1, DataType.DOUBLE);
        SameDiffEngine cut = new SameDiffEngine(SHAPE, B, T, false, opt, 2, DataType.DOUBLE);
        for (int s = 0; s < 3; s++) {
            Batch a = batch(AR, 40 + s), b = shorter(batch(DLM, 50 + s), 3);
            List<Engine.Step> got = batched.step(List.of(a, b), new double[] {1e-2, 1e-2});
            Engine.Step fa = full.step(a, 1e-2), fb = cut.step(b, 1e-2);
            assertEquals(fa.loss(), got.get(0).loss(), 1e-10 * fa.loss(), "the full slot, step " + s);
            assertEquals(fb.loss(), got.get(1).loss(), 1e-10 * fb.loss(), "the shorter slot, step " + s);
            assertEquals(fb.gradNorm(), got.get(1).gradNorm(), 1e-9 * fb.gradNorm(), "the shorter slot, step " + s);
        }
    }

    private static Batch shorter(Batch b, int length) {
        int[] in = new int[b.rows() * length], tg = new int[b.rows() * length];
        float[] w = new float[b.rows() * length];
        for (int r = 0; r < b.rows(); r++) {
            System.arraycopy(b.inputs(), r * b.length(), in, r * length, length);
            System.arraycopy(b.targets(), r * b.length(), tg, r * length, length);
            System.arraycopy(b.weights(), r * b.length(), w, r * length, length);
        }
        return new Batch(b.rows(), length, in, tg, w);
    }

    /** A run that sits a step out is left as it was; the others step. */
    @Test
    void aRunWithoutABatchSitsOut() throws IOException {
        BatchedEngine e = new BatchedEngine(SHAPE, B, T, new boolean[] {true, true}, List.of(AdamW.papers(), AdamW.papers()), List.of(1L, 2L), DataType.FLOAT);
        byte[] before0 = state(e.member(0)), before1 = state(e.member(1));
        List<Engine.Step> s = e.step(Arrays.asList(null, batch(AR, 1)), new double[] {1e-2, 1e-2});
        assertNull(s.get(0));
        assertArrayEquals(before0, state(e.member(0)));
        assertEquals(0, e.member(0).updates());
        assertEquals(1, e.member(1).updates());
        assertTrue(!Arrays.equals(before1, state(e.member(1))));
    }

    /** A member saves in SameDiffEngine's format: a run trained batched resumes alone, and back. */
    @Test
    void membersSaveAndLoadTheSingleRunFormat() throws IOException {
        BatchedEngine e = new BatchedEngine(SHAPE, B, T, new boolean[] {false, true}, List.of(AdamW.papers(), AdamW.papers()), List.of(1L, 2L), DataType.FLOAT);
        trainBatched(e, List.of(DLM, AR), new long[] {1, 2}, 2);
        SameDiffEngine alone = new SameDiffEngine(SHAPE, B, T, true, AdamW.papers(), 0, DataType.FLOAT);
        alone.load(new DataInputStream(new ByteArrayInputStream(state(e.member(1)))));
        assertEquals(2, alone.updates());
        assertArrayEquals(state(e.member(1)), state(alone));

        BatchedEngine fresh = new BatchedEngine(SHAPE, B, T, new boolean[] {false, true}, List.of(AdamW.papers(), AdamW.papers()), List.of(5L, 6L), DataType.FLOAT);
        fresh.member(1).load(new DataInputStream(new ByteArrayInputStream(state(alone))));
        assertArrayEquals(state(alone), state(fresh.member(1)));
    }

    private static byte[] state(Engine e) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            e.save(out);
        }
        return bytes.toByteArray();
    }

    /** The doubles of a double-precision state, past its header (each tensor's name and shape skipped by reading them). */
    private static double[] doubles(byte[] state) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(state));
        in.readLong();
        in.readLong();
        int count = in.readInt();
        List<Double> out = new ArrayList<>();
        for (int t = 0; t < count; t++) {
            in.readUTF();
            long n = 1;
            int rank = in.readInt();
            for (int i = 0; i < rank; i++) n *= in.readLong();
            for (long i = 0; i < 3 * n; i++) out.add(in.readDouble());
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
