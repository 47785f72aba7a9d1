package dev.quokka.training.nd4j;

import org.bytedeco.javacpp.Pointer;

/**
 * Keeps the process's native memory bounded. ND4J frees an array's native buffer only once the garbage collector has
 * found its Java object unreachable, and those objects are too small to fill the heap: a 10M-parameter model at 4,096
 * tokens per step grew by about 2 GB per step, to an out-of-memory kill, and every new buffer cost page faults. A
 * collection whenever the resident size has grown by {@link #SLACK} over its lowest point since the last one keeps it
 * flat (and made those steps about 40% faster); small models rarely trigger one.
 */
final class NativeMemory {
    static final long SLACK = 1L << 30;

    private static long low = Long.MAX_VALUE; // process-wide, as the resident size is

    private NativeMemory() {}

    /** Called after each graph run, by every engine in the process. */
    static synchronized void collectIfGrown() {
        long resident = Pointer.physicalBytes();
        low = Math.min(low, resident);
        if (resident > low + SLACK) {
            System.gc();
            low = resident; // the buffers are freed asynchronously; later calls follow the size down
        }
    }
}
