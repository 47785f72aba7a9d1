package dev.quokka.training.nd4j;

import java.io.OutputStream;
import java.io.PrintStream;

/**
 * System.out without SameDiff M2.1's chatter: building a gradient graph prints a line per op
 * ({@code "Added differentiated op ..."}, from {@code SameDiff.createGradFunction}), hundreds per model. DL4J builds
 * one on every data-parallel worker in every averaging round, so a short run printed thousands of them.
 * {@link #install()} drops those lines from any thread; {@link #run} silences one thread while it runs a call. Other
 * output passes through.
 */
public final class Muted {
    static final String CHATTER = "Added differentiated op ";
    private static final ThreadLocal<Boolean> MUTED = ThreadLocal.withInitial(() -> false);
    private static boolean installed;

    private Muted() {}

    static void run(Runnable call) {
        install();
        MUTED.set(true);
        try {
            call.run();
        } finally {
            MUTED.set(false);
        }
    }

    /** Replaces System.out with the filter, once per JVM: the driver's and each executor's. */
    public static synchronized void install() {
        if (installed) return;
        System.setOut(new Filter(System.out));
        installed = true;
    }

    /** Drops the chatter's lines whole, and every byte a muted thread writes. */
    static final class Filter extends PrintStream {
        Filter(PrintStream out) {
            super(new OutputStream() {
                @Override
                public void write(int b) {
                    if (!MUTED.get()) out.write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    if (!MUTED.get()) out.write(b, off, len);
                }

                @Override
                public void flush() {
                    out.flush();
                }
            }, true);
        }

        @Override
        public void println(String x) {
            if (x != null && x.startsWith(CHATTER)) return;
            super.println(x);
        }
    }
}
