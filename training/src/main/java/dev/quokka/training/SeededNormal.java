package dev.quokka.training;

import java.nio.charset.StandardCharsets;

/**
 * Standard normal draws that are a function of a seed and a stream name alone: the same numbers in every process,
 * on every JVM and platform, whatever the thread count. Initial weights are drawn here, not from ND4J.
 *
 * <p>Why not ND4J's generator: its native state (libnd4j {@code RandomGenerator::setStates}) replaces a root seed of
 * 0 with the clock in milliseconds, so {@code Nd4j.getRandom().setSeed(0)} (and 0 is the default {@code --seed})
 * gave every process different initial weights; no test in one JVM could see it. Its draws also depend on the
 * native library's build. Here the algorithm is in this file:
 * <ul>
 *   <li>uniform 64-bit words from SplitMix64 (Steele, Lea and Flood 2014), started from a mix of the seed and a
 *   64-bit FNV-1a hash of the stream's name, so each tensor has its own stream and adding one moves no other;</li>
 *   <li>normals by the Box-Muller transform, two per pair of uniforms, with {@link StrictMath}, whose results the
 *   Java specification fixes to the bit.</li>
 * </ul>
 */
public final class SeededNormal {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private long state;
    private double spare;
    private boolean hasSpare;

    public SeededNormal(long seed, String stream) {
        this(mix(seed ^ mix(fnv1a(stream))));
    }

    /** Starts SplitMix64 at {@code state}, as its reference implementation does: for tests against its published outputs. */
    SeededNormal(long state) {
        this.state = state;
    }

    /** The next draw from N(0, 1). */
    public double next() {
        if (hasSpare) {
            hasSpare = false;
            return spare;
        }
        double u1 = 1.0 - uniform(); // (0, 1]: the logarithm stays finite
        double u2 = uniform();
        double radius = StrictMath.sqrt(-2.0 * StrictMath.log(u1));
        double angle = 2.0 * StrictMath.PI * u2;
        spare = radius * StrictMath.sin(angle);
        hasSpare = true;
        return radius * StrictMath.cos(angle);
    }

    /** {@code n} draws from N(0, std^2), as floats. */
    public float[] floats(int n, double std) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (std * next());
        return x;
    }

    /** {@code n} draws from N(0, std^2). */
    public double[] doubles(int n, double std) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = std * next();
        return x;
    }

    /** Uniform in [0, 1), from the top 53 bits of the next word. */
    private double uniform() {
        return (nextWord() >>> 11) * 0x1.0p-53;
    }

    /** SplitMix64's next output. */
    long nextWord() {
        state += GOLDEN;
        return mix(state);
    }

    /** SplitMix64's output function: a bijection of 64-bit words that spreads every input bit over the output. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static long fnv1a(String s) {
        long h = 0xCBF29CE484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001B3L;
        }
        return h;
    }
}
