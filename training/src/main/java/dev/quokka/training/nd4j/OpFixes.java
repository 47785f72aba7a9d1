package dev.quokka.training.nd4j;

import java.lang.reflect.Field;
import java.util.Map;
import org.nd4j.autodiff.functions.DifferentialFunction;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.imports.converters.DifferentialFunctionClassHolder;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Points SameDiff's op registry at our fixed ops. SameDiff rebuilds the gradient graph from serialised ops, looked up
 * by op hash and name, so a subclass alone would be replaced by the original class (docs/nd4j.md, trap 5). Also binds
 * {@link RecyclingSession} as every graph's session, so that graph runs reuse their arrays. All ND4J workarounds live
 * in this package.
 */
public final class OpFixes {
    private static boolean installed;

    private OpFixes() {}

    public static synchronized void install() {
        if (installed) return;
        replace("gather", new ScatterAddGather());
        SameDiff.bindInferenceFactory(RecyclingSession::new);
        installed = true;
    }

    /**
     * Whether the graphs built from now on in this process reuse their arrays ({@link RecyclingSession}, the default)
     * or run in ND4J's own session, as before issue 22: for benchmarks against that. Results are the same either way.
     */
    public static synchronized void reuseArrays(boolean reuse) {
        install();
        SameDiff.bindInferenceFactory(reuse ? RecyclingSession::new : InferenceSession::new);
    }

    @SuppressWarnings("unchecked")
    private static void replace(String opName, DifferentialFunction fixed) {
        DifferentialFunctionClassHolder holder = DifferentialFunctionClassHolder.getInstance();
        long hash = Nd4j.getExecutioner().getCustomOperations().get(opName).getHash();
        try {
            ((Map<String, DifferentialFunction>) field("nodeConverters").get(holder)).put(opName, fixed);
            ((Map<Long, Class<?>>) field("customOpHashToClass").get(holder)).put(hash, fixed.getClass());
            Map<Long, Map<String, Class<?>>> multi = (Map<Long, Map<String, Class<?>>>) field("customOpHashToClasses").get(holder);
            if (multi.containsKey(hash)) multi.get(hash).put(opName, fixed.getClass());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot patch SameDiff's op registry for " + opName + " (an ND4J version other than 1.0.0-M2.1?)", e);
        }
    }

    private static Field field(String name) throws NoSuchFieldException {
        Field f = DifferentialFunctionClassHolder.class.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }
}
