package dev.quokka.training.nd4j;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.autodiff.samediff.internal.memory.AbstractMemoryMgr;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.BaseNDArray;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The arrays of one SameDiff session, reused from one graph run to the next instead of freed and allocated again.
 *
 * <p>Why: a fresh native array costs far more than its arithmetic at our sizes. libnd4j zeroes every new buffer, and
 * each fresh page faults (16-20 us a 4 kB page on our machines: 20-40 ms for 8 MB). ND4J's own session cache
 * ({@code ArrayCacheMemoryMgr}) takes an array back only if no view shares its buffer, and closes it otherwise; in a
 * transformer the large arrays are exactly those viewed (matrix products reshaped into heads, the log-sum-exp's
 * gradient), so about a fifth of a step's arrays, and most of its bytes, were fresh every step, and a third of a
 * batched step's time went into allocating them (BENCHMARKS.md, "Where a small step's time goes").
 *
 * <p>The rule: an array this manager allocated and the session releases goes back to the pool at once if nothing else
 * shares its buffer (as ND4J's cache does); one that views still share waits for the session's next run, when the
 * run that made the views is over. So do the arrays the session never releases (its dependency tracker leaves about
 * fifty a step of our graphs, an [N, V] array among them). Arrays a run hands to its caller (its outputs, and any
 * buffer an output views) are never taken back: the caller owns them, and the garbage collector frees them as
 * before. The pool keeps at most a quarter of JavaCPP's memory limit, as ND4J's cache does; beyond that a released
 * array is closed.
 *
 * <p>Determinism: a reused array holds the previous run's values until the op writes it. Every op overwrites its
 * whole output (ND4J's own cache relies on the same), so results do not depend on the pool: training with it equals
 * training in ND4J's own session bit for bit ({@code RecyclingMemoryTest}).
 */
final class RecyclingMemory extends AbstractMemoryMgr {
    private record Key(DataType type, char order, List<Long> shape) {
        static Key of(DataType type, char order, long[] shape) {
            return new Key(type, order, Arrays.stream(shape).boxed().toList());
        }
    }

    private final long capacity;
    private final Map<Key, ArrayDeque<INDArray>> free = new HashMap<>();
    private final Set<INDArray> live = Collections.newSetFromMap(new IdentityHashMap<>()); // allocated here, not yet released
    private final List<INDArray> viewed = new ArrayList<>(); // released while views shared the buffer
    private long freeBytes;
    private static final AtomicLong FRESH = new AtomicLong(), REUSED = new AtomicLong(); // process-wide, for tests and benches

    RecyclingMemory() {
        this(Pointer.maxBytes() / 4);
    }

    RecyclingMemory(long capacity) {
        this.capacity = capacity;
    }

    @Override
    public INDArray allocate(boolean detached, DataType dataType, long... shape) {
        return take(Key.of(dataType, Nd4j.order(), shape));
    }

    @Override
    public INDArray allocate(boolean detached, LongShapeDescriptor descriptor) {
        if (descriptor.isEmpty()) return Nd4j.create(descriptor); // no buffer to reuse
        return take(Key.of(descriptor.dataType(), descriptor.getOrder(), descriptor.getShape()));
    }

    private INDArray take(Key key) {
        ArrayDeque<INDArray> pooled = free.get(key);
        INDArray array = pooled == null ? null : pooled.poll();
        if (array != null) {
            freeBytes -= bytes(array);
            ((BaseNDArray) array).assignNewId(); // the session tracks arrays by id; this is a new value
            REUSED.incrementAndGet();
        } else {
            long[] shape = key.shape().stream().mapToLong(Long::longValue).toArray();
            array = Nd4j.createUninitializedDetached(key.type(), key.order(), shape);
            FRESH.incrementAndGet();
        }
        live.add(array);
        return array;
    }

    @Override
    public void release(INDArray array) {
        if (!live.remove(array) || array.wasClosed()) return; // not ours: its owner or the garbage collector frees it
        if (Nd4j.getExecutioner().useCount(array.data()) > 1) viewed.add(array);
        else pool(array);
    }

    private void pool(INDArray array) {
        long bytes = bytes(array);
        if (freeBytes + bytes > capacity) {
            if (array.closeable()) array.close();
            return;
        }
        free.computeIfAbsent(Key.of(array.dataType(), array.ordering(), array.shape()), k -> new ArrayDeque<>()).push(array);
        freeBytes += bytes;
    }

    /**
     * The session's previous run is over and its caller holds {@code handedOut}: every array that run allocated goes
     * back to the pool, except the outputs and the buffers they view.
     */
    void runOver(Collection<INDArray> handedOut) {
        Set<Long> kept = new HashSet<>();
        for (INDArray out : handedOut) if (out != null && !out.isEmpty() && out.data() != null) kept.add(base(out.data()));
        for (INDArray array : viewed) recycle(array, kept);
        for (INDArray array : live) recycle(array, kept);
        viewed.clear();
        live.clear();
    }

    private void recycle(INDArray array, Set<Long> kept) {
        if (!array.wasClosed() && !array.isEmpty() && !kept.contains(base(array.data()))) pool(array);
    }

    /** Arrays allocated fresh by every session of the process so far. */
    static long freshArrays() {
        return FRESH.get();
    }

    /** Arrays taken from a pool by every session of the process so far. */
    static long reusedArrays() {
        return REUSED.get();
    }

    private static long base(DataBuffer buffer) {
        DataBuffer b = buffer;
        while (b.originalDataBuffer() != null && b.originalDataBuffer() != b) b = b.originalDataBuffer();
        return b.address();
    }

    private static long bytes(INDArray array) {
        return array.data().length() * array.dataType().width();
    }

    @Override
    public void close() {
        for (ArrayDeque<INDArray> arrays : free.values()) for (INDArray a : arrays) if (a.closeable()) a.close();
        free.clear();
        freeBytes = 0;
    }
}
