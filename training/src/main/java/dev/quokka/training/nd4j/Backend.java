package dev.quokka.training.nd4j;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** What ND4J runs on here: the backend the Maven profile chose (CPU or CUDA), its BLAS and threads. */
public final class Backend {
    private Backend() {}

    public static Map<String, String> describe() {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("nd4j.dtype", String.valueOf(Nd4j.dataType()));
        Nd4j.getExecutioner().getEnvironmentInformation().forEach((k, v) -> {
            if (!k.equals("memoryBandwidth")) info.put("nd4j." + k, String.valueOf(v));
        });
        return info;
    }

    /**
     * Caps the threads ND4J's ops and BLAS start per call at {@code threads}: a Spark task's {@code spark.task.cpus}.
     * Process-wide, which is right because every task of an executor has the same share. The OpenMP pool itself is
     * sized once at start-up from OMP_NUM_THREADS, which a sweep sets on its executors.
     */
    public static void limitThreads(int threads) {
        if (threads <= 0) throw new IllegalArgumentException("threads must be positive, not " + threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
    }

    /** Whether ND4J runs on CUDA (the {@code cuda} Maven profile) rather than the CPU. */
    public static boolean isCuda() {
        return Nd4j.getBackend().getClass().getName().toLowerCase().contains("cuda");
    }

    /**
     * The float32 matrix-multiply rate of this backend, in FLOP/s: the median of {@code rounds} timed products of two
     * n x n matrices into a preallocated result (BLAS sgemm on CPU), after a warm-up.
     */
    public static double sgemmFlops(int n, int rounds) {
        INDArray a = Nd4j.rand(DataType.FLOAT, n, n), b = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray c = Nd4j.create(DataType.FLOAT, new long[] {n, n}, 'f');
        long reps = Math.max(1, (long) (2e9 / (2.0 * n * n * n)));
        double[] rates = new double[rounds];
        for (int r = -1; r < rounds; r++) {
            long t0 = System.nanoTime();
            for (long i = 0; i < reps; i++) Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
            Nd4j.getExecutioner().commit();
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (r >= 0) rates[r] = reps * 2.0 * n * n * n / seconds;
        }
        Arrays.sort(rates);
        return rates[rounds / 2];
    }
}
